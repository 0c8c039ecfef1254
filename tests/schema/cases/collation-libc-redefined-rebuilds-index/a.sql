CREATE COLLATION sortable (provider = libc, lc_collate = 'C', lc_ctype = 'C');
CREATE TABLE t (name text);
CREATE INDEX t_name ON t (name COLLATE sortable);
INSERT INTO t VALUES ('b'), ('a');

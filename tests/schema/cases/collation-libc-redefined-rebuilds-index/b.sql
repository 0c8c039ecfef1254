CREATE COLLATION sortable (provider = libc, lc_collate = 'C.UTF-8', lc_ctype = 'C.UTF-8');
CREATE TABLE t (name text);
CREATE INDEX t_name ON t (name COLLATE sortable);

CREATE TABLE t (name text, code text COLLATE "C");
INSERT INTO t VALUES ('a', 'b');

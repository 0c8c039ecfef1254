CREATE TABLE t (n int, email text);
INSERT INTO t VALUES (5, 'A@B');

CREATE TABLE t (id int PRIMARY KEY, legacy text, keep int);
INSERT INTO t VALUES (1, 'a', 1);

CREATE TABLE t (id int PRIMARY KEY, qty text DEFAULT '0');
INSERT INTO t VALUES (1, '5'), (2, '7');

CREATE TABLE t (id int, amount int);
CREATE VIEW v AS SELECT id, amount * 2 AS double FROM t;
CREATE VIEW unrelated AS SELECT id FROM t;
INSERT INTO t VALUES (1, 5);

CREATE TABLE t (id int PRIMARY KEY, created bigint, seen_on integer);
CREATE INDEX t_created ON t (created);
CREATE VIEW recent AS SELECT id, seen_on FROM t;
INSERT INTO t VALUES (1, 1700000000, 20240101), (2, NULL, NULL);

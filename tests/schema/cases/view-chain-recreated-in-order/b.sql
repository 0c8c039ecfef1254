CREATE TABLE t (id int, x int, y int);
CREATE VIEW v1 AS SELECT id, x, y FROM t;
CREATE VIEW v2 AS SELECT id, x FROM v1 WHERE x > 0;
CREATE VIEW v3 AS SELECT count(*) FROM v2;

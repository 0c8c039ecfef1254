CREATE FUNCTION step(state int, x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT state + x';
CREATE AGGREGATE total(int) (SFUNC = step, STYPE = int, INITCOND = '0');
COMMENT ON AGGREGATE total(int) IS 'sum';
CREATE TABLE t (n int);
INSERT INTO t VALUES (1), (2);
CREATE VIEW t_total AS SELECT total(n) AS s FROM t;

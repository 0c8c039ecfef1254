CREATE FUNCTION step(state bigint, x int) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT state + x';
CREATE AGGREGATE total(int) (SFUNC = step, STYPE = bigint, INITCOND = '100');
COMMENT ON AGGREGATE total(int) IS 'sum from 100';
CREATE TABLE t (n int);
CREATE VIEW t_total AS SELECT total(n) AS s FROM t;

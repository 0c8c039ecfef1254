CREATE FUNCTION old_step(state int, x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT state + x';
CREATE AGGREGATE old_total(int) (SFUNC = old_step, STYPE = int, INITCOND = '0');
CREATE TABLE t (n int);
INSERT INTO t VALUES (1), (2);

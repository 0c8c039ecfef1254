CREATE TYPE pair AS (b text, a int);
CREATE FUNCTION make_pair(x int) RETURNS pair LANGUAGE sql AS 'SELECT ROW(x::text, x)::pair';
CREATE VIEW v AS SELECT (make_pair(1)).a AS a;

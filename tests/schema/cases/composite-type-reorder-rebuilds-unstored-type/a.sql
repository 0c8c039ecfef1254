CREATE TYPE pair AS (a int, b text);
CREATE FUNCTION make_pair(x int) RETURNS pair LANGUAGE sql AS 'SELECT ROW(x, x::text)::pair';
CREATE VIEW v AS SELECT (make_pair(1)).a AS a;

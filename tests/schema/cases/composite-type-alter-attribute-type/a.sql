CREATE TYPE pair AS (a int, b text);
CREATE FUNCTION make_pair(x int) RETURNS pair LANGUAGE sql AS 'SELECT ROW(x, x::text)::pair';

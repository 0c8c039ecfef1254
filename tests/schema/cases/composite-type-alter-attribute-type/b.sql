CREATE TYPE pair AS (a bigint, b text COLLATE "C");
CREATE FUNCTION make_pair(x int) RETURNS pair LANGUAGE sql AS 'SELECT ROW(x, x::text)::pair';

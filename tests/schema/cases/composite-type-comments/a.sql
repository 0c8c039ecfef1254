CREATE TYPE pair AS (a int, b text);
COMMENT ON TYPE pair IS 'old';
COMMENT ON COLUMN pair.a IS 'first';

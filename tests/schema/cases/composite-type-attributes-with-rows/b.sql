CREATE TYPE pair AS (a int, c bigint, d text COLLATE "C");
COMMENT ON COLUMN pair.a IS 'first one';
COMMENT ON COLUMN pair.d IS 'added';
CREATE TABLE t (id int, p pair);

CREATE TYPE pair AS (a int, b text, c int);
COMMENT ON COLUMN pair.a IS 'first';
CREATE TABLE t (id int, p pair);
INSERT INTO t VALUES (1, ROW(1, 'x', 3)), (2, NULL);

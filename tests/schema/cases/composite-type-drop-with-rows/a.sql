CREATE TYPE pair AS (a int, b text);
CREATE TABLE t (id int, p pair, ps pair[]);
INSERT INTO t VALUES (1, ROW(1, 'x'), ARRAY[ROW(2, 'y')::pair]);
CREATE FUNCTION first_of(p pair) RETURNS int LANGUAGE sql AS 'SELECT (p).a';
CREATE TABLE keep (id int);

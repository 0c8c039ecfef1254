CREATE TYPE color AS ENUM ('red', 'green');
CREATE TABLE t0 (id integer PRIMARY KEY, a color, b color[]);
CREATE VIEW "v t0" AS SELECT id, a, b FROM t0;
INSERT INTO t0 VALUES (1, 'red', '{red}');

CREATE TYPE color AS ENUM ('red');
CREATE TABLE t0 (id integer PRIMARY KEY, a color, b color[]);
CREATE VIEW "v t0" AS SELECT id, a, b FROM t0;

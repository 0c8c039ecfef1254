CREATE TYPE e AS ENUM ('a');
CREATE TABLE t (id serial PRIMARY KEY, e e, n numeric(5,2));
CREATE VIEW v AS SELECT * FROM t;

CREATE TABLE t (id int, name text, active bool);
CREATE VIEW v_active AS SELECT id, upper(name) AS name FROM t WHERE active;
CREATE VIEW v_new WITH (security_barrier) AS SELECT count(*) AS n FROM t;

CREATE TABLE t (id int, name text, active bool);
CREATE VIEW v_active AS SELECT id, name FROM t WHERE active;
CREATE VIEW v_old AS SELECT id FROM t;

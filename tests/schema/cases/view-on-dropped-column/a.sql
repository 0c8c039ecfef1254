CREATE TABLE t (id int, gone text);
CREATE VIEW v AS SELECT id, gone FROM t;

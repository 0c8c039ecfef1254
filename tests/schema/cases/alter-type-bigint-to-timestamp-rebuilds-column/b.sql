CREATE TABLE t (id int PRIMARY KEY, created timestamp, seen_on date);
CREATE INDEX t_created ON t (created);
CREATE VIEW recent AS SELECT id, seen_on FROM t;

CREATE TABLE t (id int PRIMARY KEY, status varchar(10), kind char(1), price numeric);
CREATE INDEX t_open ON t (id) WHERE status IN ('a', 'b');
CREATE UNIQUE INDEX t_kind_once ON t (kind) WHERE kind IN ('x', 'y') AND status NOT IN ('c');

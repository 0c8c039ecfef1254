CREATE TABLE t (id int PRIMARY KEY, status varchar(10), CONSTRAINT t_status_check CHECK (status IN ('a', 'b')));
CREATE INDEX t_open ON t (id) WHERE status IN ('a', 'b');
CREATE VIEW open_items AS SELECT id, status FROM t WHERE status IN ('a', 'b');

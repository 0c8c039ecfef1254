CREATE TABLE t (code varchar(10), name varchar(50));
INSERT INTO t VALUES ('abc', 'name');

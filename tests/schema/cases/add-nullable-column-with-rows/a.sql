CREATE TABLE t (id int PRIMARY KEY);
INSERT INTO t SELECT g FROM generate_series(1, 50) g;

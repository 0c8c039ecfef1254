CREATE TABLE t (id int PRIMARY KEY, status varchar(10), kind char(1), price numeric);
INSERT INTO t VALUES (1, 'a', 'x', 1), (2, 'b', 'y', 2);

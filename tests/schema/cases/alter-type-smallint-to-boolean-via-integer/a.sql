CREATE TABLE t (id int PRIMARY KEY, flag smallint, flags smallint[], big bigint);
INSERT INTO t VALUES (1, 0, '{0,1}', 7), (2, 1, '{1}', 0), (3, NULL, NULL, NULL);

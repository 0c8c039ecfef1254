CREATE TABLE t (id int PRIMARY KEY, flag boolean, flags boolean[], big boolean);

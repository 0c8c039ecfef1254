CREATE TABLE t (id int PRIMARY KEY, created timestamp NOT NULL);

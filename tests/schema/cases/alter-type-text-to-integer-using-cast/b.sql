CREATE TABLE t (id int PRIMARY KEY, qty integer DEFAULT 0);

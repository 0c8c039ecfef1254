CREATE TABLE t (id int PRIMARY KEY, active numeric(3,0), doc integer, price integer, score boolean);

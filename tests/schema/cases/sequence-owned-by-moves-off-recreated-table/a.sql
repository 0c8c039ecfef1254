CREATE TABLE t (id int, at date);
CREATE TABLE u (id int);
CREATE SEQUENCE s OWNED BY t.id;

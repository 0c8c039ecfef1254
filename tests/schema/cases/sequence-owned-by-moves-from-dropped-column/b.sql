CREATE TABLE t (id int, other int);
CREATE SEQUENCE s;
CREATE TABLE u (id int DEFAULT nextval('s'));
ALTER SEQUENCE s OWNED BY u.id;

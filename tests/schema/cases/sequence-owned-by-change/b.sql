CREATE TABLE t (id int, other int);
CREATE SEQUENCE s OWNED BY t.other;

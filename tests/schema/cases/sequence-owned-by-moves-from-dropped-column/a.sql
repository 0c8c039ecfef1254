CREATE TABLE t (id int, legacy int, other int);
CREATE SEQUENCE s OWNED BY t.legacy;
SELECT nextval('s');

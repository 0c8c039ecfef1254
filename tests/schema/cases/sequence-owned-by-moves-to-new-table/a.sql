CREATE TABLE old_t (id int);
CREATE SEQUENCE s OWNED BY old_t.id;
SELECT nextval('s'), nextval('s');

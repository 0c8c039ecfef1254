CREATE TABLE new_t (id int);
CREATE SEQUENCE s OWNED BY new_t.id;

CREATE TABLE a (id serial PRIMARY KEY);
CREATE TABLE b (id int);

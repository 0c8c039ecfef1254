CREATE TABLE doc (id int);

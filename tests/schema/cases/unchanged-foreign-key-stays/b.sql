CREATE TABLE parent (id int PRIMARY KEY, name varchar(100), extra int);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id), note text);

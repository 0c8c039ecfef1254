CREATE TABLE item (id int, name text);

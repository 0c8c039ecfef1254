CREATE TABLE person (id int PRIMARY KEY);
INSERT INTO person VALUES (1), (2);

CREATE TABLE people (id int PRIMARY KEY, name text);
INSERT INTO people SELECT g, 'name ' || g FROM generate_series(1, 30) g;

CREATE COLLATION bytewise (provider = libc, locale = 'C');
CREATE TABLE people (id int PRIMARY KEY, name text COLLATE bytewise);
INSERT INTO people SELECT g, 'name ' || g FROM generate_series(1, 30) g;
CREATE INDEX people_name ON people (name);
CREATE INDEX people_name_b ON people (name COLLATE bytewise DESC);

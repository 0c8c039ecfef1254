CREATE TABLE people (id int PRIMARY KEY, name text);
CREATE INDEX people_name ON people (name);

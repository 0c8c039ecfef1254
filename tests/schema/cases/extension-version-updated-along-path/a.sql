CREATE EXTENSION citext VERSION '1.4';
CREATE TABLE accounts (id int PRIMARY KEY, email citext UNIQUE);
INSERT INTO accounts SELECT g, 'User' || g || '@example.com' FROM generate_series(1, 30) g;

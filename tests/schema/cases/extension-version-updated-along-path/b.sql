CREATE EXTENSION citext VERSION '1.6';
CREATE TABLE accounts (id int PRIMARY KEY, email citext UNIQUE);

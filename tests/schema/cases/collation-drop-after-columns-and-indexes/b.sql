CREATE TABLE users (id int PRIMARY KEY, email text, nick text);
CREATE TYPE labelled AS (label text, n int);

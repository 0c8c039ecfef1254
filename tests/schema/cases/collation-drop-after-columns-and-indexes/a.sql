CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION plain_c (provider = libc, lc_collate = 'C', lc_ctype = 'C');
CREATE TABLE users (id int PRIMARY KEY, email text COLLATE ci, nick text);
CREATE INDEX users_nick ON users (nick COLLATE plain_c);
CREATE TYPE labelled AS (label text COLLATE plain_c, n int);
INSERT INTO users VALUES (1, 'A@x.org', 'Bob');

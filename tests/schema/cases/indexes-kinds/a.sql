CREATE TABLE t (id int, email text, data jsonb, name text, n int);

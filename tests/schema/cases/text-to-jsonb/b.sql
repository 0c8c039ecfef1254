CREATE TABLE doc (id int, body jsonb);

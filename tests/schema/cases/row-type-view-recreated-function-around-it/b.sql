CREATE TABLE item (id int, name text, price int);
CREATE VIEW named AS SELECT id, name, price FROM item;
CREATE FUNCTION all_named() RETURNS SETOF named LANGUAGE sql STABLE AS $$ SELECT * FROM named $$;

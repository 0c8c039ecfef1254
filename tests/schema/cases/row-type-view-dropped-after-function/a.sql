CREATE TABLE item (id int, name text);
INSERT INTO item VALUES (1, 'a');
CREATE VIEW named AS SELECT id, name FROM item;
CREATE FUNCTION all_named() RETURNS SETOF named LANGUAGE sql STABLE AS $$ SELECT * FROM named $$;

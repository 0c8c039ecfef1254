CREATE TABLE item (id int, name text, old int);
INSERT INTO item VALUES (1, 'a', 2);
CREATE FUNCTION all_items() RETURNS SETOF item LANGUAGE sql STABLE AS $$ SELECT * FROM item $$;
CREATE FUNCTION item_id(r item) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;

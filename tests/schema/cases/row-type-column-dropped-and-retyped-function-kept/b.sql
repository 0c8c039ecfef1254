CREATE TABLE item (id bigint, name text);
CREATE FUNCTION all_items() RETURNS SETOF item LANGUAGE sql STABLE AS $$ SELECT * FROM item $$;
CREATE FUNCTION item_id(r item) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT r.id::int $$;

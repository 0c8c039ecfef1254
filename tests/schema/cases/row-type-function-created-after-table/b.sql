CREATE TABLE item (id int, name text);
CREATE FUNCTION all_items() RETURNS SETOF item LANGUAGE sql STABLE AS $$ SELECT * FROM item $$;
CREATE FUNCTION item_label(r item) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.name $$;
CREATE FUNCTION items_arr() RETURNS item[] LANGUAGE sql STABLE AS $$ SELECT array_agg(i) FROM item i $$;

CREATE TABLE item (id int, at date);
INSERT INTO item VALUES (1, '2024-01-01');
CREATE FUNCTION item_year(r item) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT extract(year FROM r.at)::double precision $$;

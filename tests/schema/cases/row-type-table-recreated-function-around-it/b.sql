CREATE TABLE item (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE item_all PARTITION OF item DEFAULT;
CREATE FUNCTION item_year(r item) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT extract(year FROM r.at)::double precision $$;

CREATE TYPE address AS (street text, city text COLLATE "C", zip varchar(10));
CREATE TABLE orders (id int PRIMARY KEY, ship_to address);
CREATE TABLE shipments (id int PRIMARY KEY, origin address, stops address[]);
CREATE FUNCTION city_of(a address) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a.city $$;
CREATE FUNCTION make_address(city text) RETURNS address LANGUAGE sql AS $$ SELECT ROW(NULL, city, NULL)::address $$;

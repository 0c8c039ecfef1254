CREATE TYPE address AS (street text, city text);
CREATE TABLE orders (id int PRIMARY KEY, ship_to address, history address[]);
INSERT INTO orders SELECT g, ROW('s' || g, 'c')::address, ARRAY[ROW('a', 'b')::address] FROM generate_series(1, 20) g;
CREATE FUNCTION city_of(a address) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a.city $$;
CREATE VIEW order_cities AS SELECT id, (ship_to).city FROM orders;

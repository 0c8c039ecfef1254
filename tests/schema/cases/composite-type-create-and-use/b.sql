CREATE TYPE address AS (street text, city text COLLATE "C", zip varchar(10));
COMMENT ON TYPE address IS 'postal address';
COMMENT ON COLUMN address.zip IS 'postal code';
CREATE TABLE person (id int PRIMARY KEY, home address, previous address[]);
CREATE FUNCTION city_of(a address) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT (a).city';
CREATE VIEW person_city AS SELECT id, city_of(home) AS city FROM person;

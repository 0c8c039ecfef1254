CREATE FUNCTION is_even(v int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT v % 2 = 0 $$;
CREATE DOMAIN even AS int CHECK (is_even(VALUE));
CREATE TABLE pairs (n even);
INSERT INTO pairs VALUES (2), (4);

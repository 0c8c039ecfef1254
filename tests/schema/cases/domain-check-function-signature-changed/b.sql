CREATE FUNCTION is_even(v bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT v % 2 = 0 $$;
CREATE DOMAIN even AS int CHECK (is_even(VALUE));
CREATE TABLE pairs (n even);

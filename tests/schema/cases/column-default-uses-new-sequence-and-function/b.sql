CREATE SEQUENCE code_seq;
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'C' || nextval('code_seq') $$;
CREATE TABLE t (id int, code text DEFAULT next_code());

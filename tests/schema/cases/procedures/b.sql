CREATE TABLE log (msg text);
CREATE PROCEDURE write_log(m text) LANGUAGE sql AS $$ INSERT INTO log VALUES (m) $$;
COMMENT ON PROCEDURE write_log(text) IS 'writes a line';

CREATE FUNCTION area(r float8) RETURNS float8 LANGUAGE sql AS 'SELECT pi() * r * r';

CREATE FUNCTION area(r float8) RETURNS float8 LANGUAGE sql AS 'SELECT pi() * r * r';
CREATE FUNCTION area(w float8, h float8) RETURNS float8 LANGUAGE sql IMMUTABLE RETURN w * h;
CREATE TABLE shapes (w float8, h float8);
CREATE FUNCTION shape_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM shapes; END;

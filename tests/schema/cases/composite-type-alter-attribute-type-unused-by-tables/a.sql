CREATE TYPE point3 AS (x int, y int, z int);
CREATE FUNCTION norm1(p point3) RETURNS bigint LANGUAGE sql AS $$ SELECT abs(p.x) + abs(p.y) + abs(p.z) $$;

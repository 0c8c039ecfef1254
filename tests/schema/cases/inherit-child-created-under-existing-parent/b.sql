CREATE TABLE vehicle (id int NOT NULL, name text DEFAULT 'unnamed', made date);
-- inherited columns only, with a default and a NOT NULL of the child's own
CREATE TABLE car (doors int DEFAULT 4) INHERITS (vehicle);
ALTER TABLE car ALTER COLUMN name SET DEFAULT 'car';
ALTER TABLE car ALTER COLUMN made SET NOT NULL;
COMMENT ON COLUMN car.doors IS 'how many';
-- a column declared again (merged) and a second parent
CREATE TABLE tagged (tag text);
CREATE TABLE truck (id int NOT NULL, axles int) INHERITS (vehicle, tagged);

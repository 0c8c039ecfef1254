CREATE TABLE base (id int NOT NULL, note text);
CREATE TABLE other (id int NOT NULL, note text);
-- leaves its parent: the inherited columns become its own
CREATE TABLE leaving (id int NOT NULL, note text);
-- joins an existing parent and a new one, declaring the columns itself
CREATE TABLE newbase (extra int);
CREATE TABLE joining (id int NOT NULL, note text, extra int) INHERITS (base, newbase);
-- its parent is dropped: NO INHERIT first
CREATE TABLE orphan (k int, z int);

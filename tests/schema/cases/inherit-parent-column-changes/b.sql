-- qty retyped, gone dropped, added column new, default changed on the parent only
CREATE TABLE parent (id int NOT NULL, qty bigint DEFAULT 1, retired text, label text DEFAULT 'p', added int DEFAULT 9 NOT NULL);
CREATE TABLE child (own text) INHERITS (parent);
ALTER TABLE child ALTER COLUMN label SET DEFAULT 'child';
ALTER TABLE child ALTER COLUMN added SET DEFAULT 10;
CREATE TABLE grandchild () INHERITS (child);
-- merged keeps "gone" (declared)
CREATE TABLE merged (id int NOT NULL, qty bigint, gone text, retired text, label text) INHERITS (parent);
CREATE VIEW child_qty AS SELECT id, qty FROM child;

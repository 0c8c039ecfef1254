CREATE TABLE parent (id int NOT NULL, qty smallint DEFAULT 0, gone text, retired text, label text);
CREATE TABLE child (own text) INHERITS (parent);
ALTER TABLE child ALTER COLUMN label SET DEFAULT 'child';
CREATE TABLE grandchild () INHERITS (child);
CREATE TABLE merged (id int NOT NULL, qty smallint, gone text, retired text, label text) INHERITS (parent);
CREATE VIEW child_qty AS SELECT id, qty FROM child;
INSERT INTO child VALUES (1, 5, 'x', 'y', 'l', 'own');
INSERT INTO grandchild VALUES (2, 6, 'x', 'y', 'l', 'g');
INSERT INTO merged VALUES (3, 7, 'x', 'y', 'l');

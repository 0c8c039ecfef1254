CREATE TABLE base (id int NOT NULL, note text);
CREATE TABLE other (id int NOT NULL, note text);
CREATE TABLE leaving () INHERITS (base);
CREATE TABLE joining (id int NOT NULL, note text, extra int);
CREATE TABLE old_parent (k int);
CREATE TABLE orphan (z int) INHERITS (old_parent);
INSERT INTO leaving VALUES (1, 'stays');
INSERT INTO joining VALUES (2, 'joins', 3);
INSERT INTO orphan VALUES (7, 8);

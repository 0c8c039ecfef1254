CREATE TABLE animal (id int, name text);
CREATE TABLE dog (breed text) INHERITS (animal);
INSERT INTO dog VALUES (1, 'rex', 'collie');

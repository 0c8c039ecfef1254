CREATE TABLE animal (id int, name text);
-- the child now declares the inherited columns itself (attislocal)
CREATE TABLE dog (id int, name text, breed text) INHERITS (animal);

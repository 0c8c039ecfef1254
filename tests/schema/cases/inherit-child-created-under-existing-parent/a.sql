CREATE TABLE vehicle (id int NOT NULL, name text DEFAULT 'unnamed', made date);
INSERT INTO vehicle VALUES (1, 'cart', '2020-01-01');

CREATE TABLE price (amount numeric(10,2), rate numeric);
INSERT INTO price VALUES (12.34, 1.5);

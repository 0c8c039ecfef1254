CREATE TABLE orders (id int NOT NULL, region text NOT NULL, status text DEFAULT 'new', note text, qty int DEFAULT 0) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
ALTER TABLE orders_us ALTER COLUMN status SET DEFAULT 'us-new';
ALTER TABLE orders_us ALTER COLUMN note SET NOT NULL;
INSERT INTO orders VALUES (1, 'eu', DEFAULT, NULL, 1), (2, 'us', DEFAULT, 'n', 2);

-- the parent's default changes but orders_us keeps its own; orders_eu gets one of its own
CREATE TABLE orders (id int NOT NULL, region text NOT NULL, status text DEFAULT 'open', note text, qty int DEFAULT 0, added int DEFAULT 5) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
ALTER TABLE orders_us ALTER COLUMN status SET DEFAULT 'us-new';
ALTER TABLE orders_eu ALTER COLUMN qty SET DEFAULT 10;
ALTER TABLE orders_eu ALTER COLUMN added SET DEFAULT 6;
ALTER TABLE orders_eu ALTER COLUMN qty SET NOT NULL;
-- a new partition with its own default and NOT NULL
CREATE TABLE orders_jp PARTITION OF orders FOR VALUES IN ('jp');
ALTER TABLE orders_jp ALTER COLUMN note SET DEFAULT 'jp';
ALTER TABLE orders_jp ALTER COLUMN note SET NOT NULL;

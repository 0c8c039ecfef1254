CREATE COLLATION old_c (provider = libc, locale = 'C');
CREATE TABLE items (id int PRIMARY KEY, sku text COLLATE old_c);
INSERT INTO items SELECT g, 'sku-' || g FROM generate_series(1, 30) g;

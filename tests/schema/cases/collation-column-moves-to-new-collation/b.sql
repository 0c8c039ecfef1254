CREATE COLLATION new_c (provider = libc, locale = 'POSIX');
CREATE TABLE items (id int PRIMARY KEY, sku text COLLATE new_c);

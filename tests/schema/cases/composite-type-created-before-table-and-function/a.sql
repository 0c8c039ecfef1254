CREATE TABLE orders (id int PRIMARY KEY);
INSERT INTO orders SELECT g FROM generate_series(1, 20) g;

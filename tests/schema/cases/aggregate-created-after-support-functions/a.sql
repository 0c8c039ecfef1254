CREATE TABLE sales (id int PRIMARY KEY, amount numeric, qty int);
INSERT INTO sales SELECT g, g * 1.25, g FROM generate_series(1, 40) g;

CREATE TABLE kv (id int PRIMARY KEY);
INSERT INTO kv SELECT g FROM generate_series(1, 10) g;

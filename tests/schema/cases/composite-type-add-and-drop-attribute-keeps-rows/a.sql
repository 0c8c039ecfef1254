CREATE TYPE money_amount AS (amount numeric, note text);
CREATE TABLE payments (id int PRIMARY KEY, paid money_amount);
INSERT INTO payments SELECT g, ROW(g * 1.5, 'n' || g)::money_amount FROM generate_series(1, 30) g;

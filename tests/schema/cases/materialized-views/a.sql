CREATE TABLE sales (id int, amount numeric);
CREATE MATERIALIZED VIEW totals AS SELECT sum(amount) AS total FROM sales;
CREATE UNIQUE INDEX totals_idx ON totals (total);
INSERT INTO sales VALUES (1, 10);

CREATE TABLE sales (id int, amount numeric, region text);
CREATE MATERIALIZED VIEW totals AS SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE UNIQUE INDEX totals_idx ON totals (region);
CREATE MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM sales WITH NO DATA;

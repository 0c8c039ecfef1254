CREATE TABLE sales (id int PRIMARY KEY, amount numeric);
CREATE FUNCTION acc_add2(state numeric, v numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT state + 2 * coalesce(v, 0) $$;
CREATE AGGREGATE my_sum(numeric) (SFUNC = acc_add2, STYPE = numeric, INITCOND = '100');
CREATE AGGREGATE my_max(int) (SFUNC = int4larger, STYPE = int, SORTOP = >, PARALLEL = SAFE);
CREATE VIEW sales_total AS SELECT my_sum(amount) AS total FROM sales;

CREATE TABLE sales (id int PRIMARY KEY, amount numeric);
CREATE FUNCTION acc_add(state numeric, v numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT state + coalesce(v, 0) $$;
CREATE AGGREGATE my_sum(numeric) (SFUNC = acc_add, STYPE = numeric, INITCOND = '0');
CREATE AGGREGATE my_max(int) (SFUNC = int4larger, STYPE = int);
CREATE VIEW sales_total AS SELECT my_sum(amount) AS total FROM sales;

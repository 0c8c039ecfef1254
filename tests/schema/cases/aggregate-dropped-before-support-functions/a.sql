CREATE TABLE sales (id int PRIMARY KEY, amount numeric);
INSERT INTO sales SELECT g, g FROM generate_series(1, 10) g;
CREATE FUNCTION acc_add(state numeric, v numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT state + coalesce(v, 0) $$;
CREATE FUNCTION acc_done(state numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT state * 2 $$;
CREATE AGGREGATE dbl_sum(numeric) (SFUNC = acc_add, STYPE = numeric, FINALFUNC = acc_done, INITCOND = '0');
CREATE VIEW sales_total AS SELECT dbl_sum(amount) AS total FROM sales;

CREATE FUNCTION acc_add(state numeric, v numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT state + coalesce(v, 0) $$;
CREATE AGGREGATE my_sum(numeric) (SFUNC = acc_add, STYPE = numeric, INITCOND = '0');
COMMENT ON AGGREGATE my_sum(numeric) IS 'old';

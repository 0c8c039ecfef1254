CREATE TABLE sales (id int PRIMARY KEY, amount numeric, qty int);
CREATE FUNCTION acc_add(state numeric[], v numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ARRAY[state[1] + coalesce(v, 0), state[2] + 1] $$;
CREATE FUNCTION acc_sub(state numeric[], v numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ARRAY[state[1] - coalesce(v, 0), state[2] - 1] $$;
CREATE FUNCTION acc_merge(a numeric[], b numeric[]) RETURNS numeric[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ARRAY[a[1] + b[1], a[2] + b[2]] $$;
CREATE FUNCTION acc_mean(state numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN state[2] = 0 THEN NULL ELSE state[1] / state[2] END $$;
CREATE AGGREGATE mean(numeric) (
    SFUNC = acc_add, STYPE = numeric[], FINALFUNC = acc_mean, COMBINEFUNC = acc_merge,
    INITCOND = '{0,0}', PARALLEL = SAFE,
    MSFUNC = acc_add, MINVFUNC = acc_sub, MSTYPE = numeric[], MFINALFUNC = acc_mean, MINITCOND = '{0,0}'
);
COMMENT ON AGGREGATE mean(numeric) IS 'arithmetic mean';
CREATE AGGREGATE top_qty(int) (SFUNC = int4larger, STYPE = int, SORTOP = >);
CREATE AGGREGATE "pct disc"(float8 ORDER BY float8) (
    SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA
);
CREATE AGGREGATE my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final, FINALFUNC_EXTRA, HYPOTHETICAL
);
CREATE VIEW sales_stats AS SELECT mean(amount) AS avg_amount, top_qty(qty) AS top FROM sales;

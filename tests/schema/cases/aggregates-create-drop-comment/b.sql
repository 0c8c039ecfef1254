CREATE SCHEMA stats;
CREATE FUNCTION stats.step(state numeric[], x numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS 'SELECT ARRAY[state[1] + x, state[2] + 1]';
CREATE FUNCTION stats.finish(state numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS 'SELECT CASE WHEN state[2] = 0 THEN NULL ELSE state[1] / state[2] END';
CREATE FUNCTION stats.merge(a numeric[], b numeric[]) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS 'SELECT ARRAY[a[1] + b[1], a[2] + b[2]]';
CREATE AGGREGATE stats.mean(numeric) (
    SFUNC = stats.step, STYPE = numeric[], FINALFUNC = stats.finish,
    COMBINEFUNC = stats.merge, INITCOND = '{0,0}', PARALLEL = SAFE
);
COMMENT ON AGGREGATE stats.mean(numeric) IS 'arithmetic mean';
CREATE AGGREGATE stats.biggest(int) (SFUNC = int4larger, STYPE = int, SORTOP = >);
CREATE AGGREGATE stats.rows_seen(*) (SFUNC = int8inc, STYPE = bigint, INITCOND = '0');
CREATE AGGREGATE stats.median(float8 ORDER BY float8) (
    SFUNC = ordered_set_transition, STYPE = internal,
    FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA
);
CREATE AGGREGATE stats.moving_sum(int) (
    SFUNC = int4_sum, STYPE = bigint,
    MSFUNC = int4_avg_accum, MINVFUNC = int4_avg_accum_inv, MSTYPE = bigint[],
    MFINALFUNC = int2int4_sum, MINITCOND = '{0,0}'
);
CREATE TABLE t (n int);
CREATE VIEW t_mean AS SELECT stats.mean(n) AS m, stats.rows_seen(*) AS c FROM t;

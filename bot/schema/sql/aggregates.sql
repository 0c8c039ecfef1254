-- Aggregates with what CREATE AGGREGATE needs (as pg_dump reads it). Support functions are
-- regproc text, so they print schema-qualified unless in pg_catalog (empty search_path).
SELECT n.nspname AS schema, p.proname AS name,
       pg_get_function_identity_arguments(p.oid) AS identity_args,
       pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result,
       p.pronargs AS nargs,
       a.aggkind::text AS aggkind,
       a.aggtransfn::text AS sfunc,
       format_type(a.aggtranstype, NULL) AS stype,
       a.aggtransspace AS sspace,
       nullif(a.aggfinalfn, 0)::regproc::text AS finalfunc,
       a.aggfinalextra AS finalfunc_extra,
       a.aggfinalmodify::text AS finalfunc_modify,
       nullif(a.aggcombinefn, 0)::regproc::text AS combinefunc,
       nullif(a.aggserialfn, 0)::regproc::text AS serialfunc,
       nullif(a.aggdeserialfn, 0)::regproc::text AS deserialfunc,
       a.agginitval AS initcond,
       nullif(a.aggmtransfn, 0)::regproc::text AS msfunc,
       nullif(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
       CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
       a.aggmtransspace AS msspace,
       nullif(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc,
       a.aggmfinalextra AS mfinalfunc_extra,
       a.aggmfinalmodify::text AS mfinalfunc_modify,
       a.aggminitval AS minitcond,
       CASE WHEN a.aggsortop <> 0
            THEN 'OPERATOR(' || quote_ident(opn.nspname) || '.' || op.oprname || ')' END AS sortop,
       p.proparallel::text AS parallel,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p
JOIN pg_aggregate a ON a.aggfnoid = p.oid
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_operator op ON op.oid = a.aggsortop
LEFT JOIN pg_namespace opn ON opn.oid = op.oprnamespace
WHERE p.prokind = 'a'
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3;

-- Domains with their CHECK constraints (NULL-safe arrays, ordered by name).
SELECT n.nspname AS schema, t.typname AS name,
       format_type(t.typbasetype, t.typtypmod) AS base_type,
       t.typnotnull AS not_null,
       t.typdefault AS "default",
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       obj_description(t.oid, 'pg_type') AS comment,
       coalesce((SELECT array_agg(c.conname ORDER BY c.conname) FROM pg_constraint c
                 WHERE c.contypid = t.oid AND c.contype = 'c'), '{}') AS check_names,
       coalesce((SELECT array_agg(pg_get_constraintdef(c.oid) ORDER BY c.conname) FROM pg_constraint c
                 WHERE c.contypid = t.oid AND c.contype = 'c'), '{}') AS check_defs,
       coalesce((SELECT array_agg(obj_description(c.oid, 'pg_constraint') ORDER BY c.conname)
                 FROM pg_constraint c
                 WHERE c.contypid = t.oid AND c.contype = 'c'), '{}') AS check_comments
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'd'
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2;

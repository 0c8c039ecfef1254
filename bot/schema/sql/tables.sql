-- Tables, partitioned tables and partitions.
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       pn.nspname AS parent_schema, p.relname AS parent_name,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       c.relpersistence = 'u' AS unlogged,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       coalesce(c.reloptions, '{}') AS options,
       obj_description(c.oid, 'pg_class') AS comment,
       EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) AND NOT c.relispartition
           AS inherits
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e');

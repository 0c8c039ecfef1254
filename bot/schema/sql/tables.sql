-- Tables, partitioned tables and partitions. Typed tables (CREATE TABLE ... OF type) are
-- named by of_type: the engine does not plan them (see unsupported.sql).
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
       CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END AS of_type,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       pn.nspname AS parent_schema, p.relname AS parent_name,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       c.relpersistence = 'u' AS unlogged,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       coalesce(c.reloptions, '{}')
           || coalesce((SELECT array_agg('toast.' || o ORDER BY o)
                        FROM pg_class tc, unnest(tc.reloptions) o
                        WHERE tc.oid = c.reltoastrelid), '{}') AS options,
       ds.description AS comment,
       -- plain-inheritance parents (not a partition's parent), in INHERITS order
       ARRAY(SELECT ipn.nspname::text FROM pg_inherits ii
             JOIN pg_class ip ON ip.oid = ii.inhparent
             JOIN pg_namespace ipn ON ipn.oid = ip.relnamespace
             WHERE ii.inhrelid = c.oid AND NOT c.relispartition ORDER BY ii.inhseqno)
           AS inherit_schemas,
       ARRAY(SELECT ip.relname::text FROM pg_inherits ii JOIN pg_class ip ON ip.oid = ii.inhparent
             WHERE ii.inhrelid = c.oid AND NOT c.relispartition ORDER BY ii.inhseqno)
           AS inherit_names,
       c.relreplident::text AS replica_identity,
       (SELECT ri.relname FROM pg_index rx JOIN pg_class ri ON ri.oid = rx.indexrelid
        WHERE rx.indrelid = c.oid AND rx.indisreplident) AS replica_index
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass
                            AND ds.objsubid = 0
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e');

-- Composite types (CREATE TYPE ... AS (...)) with their attributes in attribute order
-- (NULL-safe arrays). Row types of tables and views are not composite types here.
SELECT n.nspname AS schema, t.typname AS name,
       obj_description(t.oid, 'pg_type') AS comment,
       coalesce(array_agg(a.attname::text ORDER BY a.attnum)
                    FILTER (WHERE a.attnum IS NOT NULL), '{}') AS attr_names,
       coalesce(array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
                    FILTER (WHERE a.attnum IS NOT NULL), '{}') AS attr_types,
       coalesce(array_agg(CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                               THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
                          ORDER BY a.attnum) FILTER (WHERE a.attnum IS NOT NULL), '{}')
           AS attr_collations,
       coalesce(array_agg(ds.description ORDER BY a.attnum)
                    FILTER (WHERE a.attnum IS NOT NULL), '{}') AS attr_comments
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type at ON at.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass
                            AND ds.objsubid = a.attnum
WHERE t.typtype = 'c'
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
GROUP BY n.nspname, t.typname, t.oid
ORDER BY 1, 2;

-- Table constraints defined on the table itself (not inherited from a partitioned parent).
SELECT n.nspname AS schema, c.relname AS table_name, k.conname AS name, k.contype::text AS kind,
       pg_get_constraintdef(k.oid)
           || CASE WHEN k.contype IN ('p', 'u') AND ic.reloptions IS NOT NULL
                   THEN ' WITH (' || array_to_string(ic.reloptions, ', ') || ')' ELSE '' END
           AS definition,
       ds.description AS comment
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class ic ON ic.oid = k.conindid
LEFT JOIN pg_description ds ON ds.objoid = k.oid AND ds.classoid = 'pg_constraint'::regclass
                            AND ds.objsubid = 0
WHERE k.contype IN ('p', 'u', 'c', 'f', 'x')
  AND k.conparentid = 0 AND k.conislocal
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e');

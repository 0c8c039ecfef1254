-- Indexes that are not the implementation of a constraint nor a partition's copy of a
-- parent index (both come back by themselves when their owner is created).
SELECT n.nspname AS schema, ic.relname AS name, tc.relname AS table_name,
       pg_get_indexdef(ic.oid) AS definition,
       obj_description(ic.oid, 'pg_class') AS comment,
       x.indisvalid AS valid
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                  WHERE k.conindid = ic.oid AND k.conrelid = tc.oid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = ic.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e');

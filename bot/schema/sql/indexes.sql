-- Indexes that are not the implementation of a constraint (it comes back by itself when
-- the constraint is created). A partition's index attached to a partitioned index names it.
SELECT n.nspname AS schema, ic.relname AS name, tc.relname AS table_name,
       pg_get_indexdef(ic.oid) AS definition,
       ds.description AS comment,
       x.indisvalid AS valid,
       pin.nspname AS parent_index_schema, pic.relname AS parent_index_name
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_description ds ON ds.objoid = ic.oid AND ds.classoid = 'pg_class'::regclass
                            AND ds.objsubid = 0
LEFT JOIN pg_inherits ii ON ii.inhrelid = ic.oid
LEFT JOIN pg_class pic ON pic.oid = ii.inhparent
LEFT JOIN pg_namespace pin ON pin.oid = pic.relnamespace
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                  WHERE k.conindid = ic.oid AND k.conrelid = tc.oid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e');

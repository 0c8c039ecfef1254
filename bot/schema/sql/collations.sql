-- User collations. The ICU locale column is named differently across server versions
-- (colliculocale in 15-16, colllocale from 17), so it is read through to_jsonb.
SELECT n.nspname AS schema, co.collname AS name,
       co.collprovider::text AS provider,
       co.collisdeterministic AS deterministic,
       co.collcollate AS lc_collate, co.collctype AS lc_ctype,
       coalesce(to_jsonb(co) ->> 'colllocale', to_jsonb(co) ->> 'colliculocale') AS locale,
       to_jsonb(co) ->> 'collicurules' AS rules,
       obj_description(co.oid, 'pg_collation') AS comment
FROM pg_collation co
JOIN pg_namespace n ON n.oid = co.collnamespace
WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_collation'::regclass AND d.objid = co.oid
                    AND d.deptype = 'e')
ORDER BY 1, 2;

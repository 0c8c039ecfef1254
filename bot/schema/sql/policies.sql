-- Row-level security policies.
SELECT n.nspname AS schema, c.relname AS table_name, p.polname AS name,
       p.polpermissive AS permissive,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                     WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
       coalesce((SELECT array_agg(x.role ORDER BY x.role)
                 FROM (SELECT CASE WHEN r = 0 THEN 'public' ELSE quote_ident(a.rolname) END AS role
                       FROM unnest(p.polroles) r LEFT JOIN pg_roles a ON a.oid = r) x),
                '{}') AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr,
       obj_description(p.oid, 'pg_policy') AS comment
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2, 3;

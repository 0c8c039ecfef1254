-- Installed extensions (their member objects are not modelled individually), with the
-- versions this server can update each one to (pg_extension_update_paths reads the
-- extension's files: it is what ALTER EXTENSION ... UPDATE TO can reach from here).
SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version,
       obj_description(e.oid, 'pg_extension') AS comment,
       ARRAY(SELECT u.target FROM pg_extension_update_paths(e.extname) u
             WHERE u.source = e.extversion AND u.path IS NOT NULL ORDER BY u.target)
           AS update_targets
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY e.extname;

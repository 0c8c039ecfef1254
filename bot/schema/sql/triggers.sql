-- User triggers (internal ones implement constraints; partition clones follow their parent).
SELECT n.nspname AS schema, c.relname AS table_name, t.tgname AS name,
       pg_get_triggerdef(t.oid) AS definition, t.tgenabled::text AS enabled,
       obj_description(t.oid, 'pg_trigger') AS comment
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2, 3;

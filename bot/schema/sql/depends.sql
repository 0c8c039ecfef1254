-- Dependency edges between modelled objects, from pg_depend, as (kind, schema, name, sub)
-- on both sides. Columns are their own objects so a view can depend on one column.
-- Objects that belong to an extension resolve to the extension. Internal edges and
-- edges to system objects are left out.
WITH rel AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
),
ext AS (
    SELECT d.classid, d.objid, e.extname
    FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
),
conidx AS (
    SELECT k.conindid AS oid, k.oid AS conoid FROM pg_constraint k
    WHERE k.contype IN ('p', 'u', 'x') AND k.conindid <> 0
),
objs0 AS (
    -- relations
    SELECT 'pg_class'::regclass::oid AS classid, r.oid AS objid, 0 AS subid,
           CASE WHEN r.relkind IN ('r', 'p') THEN 'table' WHEN r.relkind IN ('v', 'm') THEN 'view'
                WHEN r.relkind = 'S' THEN 'sequence' ELSE 'index' END AS kind,
           r.nspname AS schema, r.relname AS name, '' AS sub
    FROM rel r WHERE r.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I')
      AND NOT EXISTS (SELECT 1 FROM conidx ci WHERE ci.oid = r.oid)
    UNION ALL
    -- constraint-backed indexes stand for their constraint
    SELECT 'pg_class'::regclass::oid, r.oid, 0, 'constraint', r.nspname, t.relname, k.conname
    FROM rel r JOIN conidx ci ON ci.oid = r.oid
    JOIN pg_constraint k ON k.oid = ci.conoid JOIN pg_class t ON t.oid = k.conrelid
    UNION ALL
    -- columns of tables and views
    SELECT 'pg_class'::regclass::oid, r.oid, a.attnum, 'column', r.nspname, r.relname, a.attname
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE r.relkind IN ('r', 'p', 'v', 'm')
    UNION ALL
    -- column defaults
    SELECT 'pg_attrdef'::regclass::oid, ad.oid, 0, 'default', r.nspname, r.relname, a.attname
    FROM pg_attrdef ad JOIN rel r ON r.oid = ad.adrelid
    JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
    UNION ALL
    -- view rules stand for their view
    SELECT 'pg_rewrite'::regclass::oid, w.oid, 0, 'view', r.nspname, r.relname, ''
    FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class WHERE r.relkind IN ('v', 'm')
    UNION ALL
    -- table constraints; domain constraints stand for their domain
    SELECT 'pg_constraint'::regclass::oid, k.oid, 0,
           CASE WHEN k.conrelid <> 0 THEN 'constraint' ELSE 'type' END,
           n.nspname, coalesce(t.relname, ty.typname), CASE WHEN k.conrelid <> 0 THEN k.conname ELSE '' END
    FROM pg_constraint k
    LEFT JOIN pg_class t ON t.oid = k.conrelid
    LEFT JOIN pg_type ty ON ty.oid = k.contypid
    JOIN pg_namespace n ON n.oid = coalesce(t.relnamespace, ty.typnamespace)
    WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
    UNION ALL
    SELECT 'pg_trigger'::regclass::oid, tg.oid, 0, 'trigger', r.nspname, r.relname, tg.tgname
    FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT 'pg_policy'::regclass::oid, p.oid, 0, 'policy', r.nspname, r.relname, p.polname
    FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
    UNION ALL
    SELECT 'pg_proc'::regclass::oid, p.oid, 0, 'function', n.nspname, p.proname,
           pg_get_function_identity_arguments(p.oid)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
    UNION ALL
    -- types (enums, domains, composite types); an array type stands for its element type
    SELECT 'pg_type'::regclass::oid, t.oid, 0, 'type', n.nspname,
           coalesce(el.typname, t.typname), ''
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_type el ON el.oid = t.typelem AND t.typcategory = 'A'
    LEFT JOIN pg_class cr ON cr.oid = coalesce(el.typrelid, t.typrelid) AND cr.relkind = 'c'
    WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
      AND (t.typtype IN ('e', 'd') OR el.typtype IN ('e', 'd') OR cr.oid IS NOT NULL)
    UNION ALL
    -- attributes of a composite type stand for their type (they depend on their own types
    -- and collations)
    SELECT 'pg_class'::regclass::oid, r.oid, a.attnum, 'type', r.nspname, r.relname, ''
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE r.relkind = 'c'
    UNION ALL
    SELECT 'pg_collation'::regclass::oid, co.oid, 0, 'collation', n.nspname, co.collname, ''
    FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
    WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
    UNION ALL
    -- row types of tables and views, and their array types, stand for the relation
    -- (a function returning SETOF t, a column or domain of type t depends on table t)
    SELECT 'pg_type'::regclass::oid, t.oid, 0,
           CASE WHEN r.relkind IN ('r', 'p') THEN 'table' ELSE 'view' END,
           r.nspname, r.relname, ''
    FROM pg_type t
    LEFT JOIN pg_type el ON el.oid = t.typelem AND t.typcategory = 'A'
    JOIN rel r ON r.oid = coalesce(el.typrelid, t.typrelid)
    WHERE r.relkind IN ('r', 'p', 'v', 'm')
    UNION ALL
    SELECT 'pg_namespace'::regclass::oid, n.oid, 0, 'schema', n.nspname, '', ''
    FROM pg_namespace n WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
    UNION ALL
    SELECT 'pg_extension'::regclass::oid, e.oid, 0, 'extension', e.extname, '', ''
    FROM pg_extension e
),
-- Each object is one text "kind<US>schema<US>name<US>sub" (US = unit separator, chr(31)):
-- narrow rows keep the join below in memory, and two short columns per edge instead of
-- eight keep large results small.
objs AS MATERIALIZED (
    SELECT classid, objid, subid, concat_ws(chr(31), kind, schema, name, sub) AS key FROM objs0
)
SELECT a.key AS obj, coalesce(b.key, concat_ws(chr(31), 'extension', x.extname, '', '')) AS ref
FROM pg_depend d
JOIN objs a ON a.classid = d.classid AND a.objid = d.objid AND a.subid = d.objsubid
LEFT JOIN ext x ON x.classid = d.refclassid AND x.objid = d.refobjid
LEFT JOIN objs b ON x.extname IS NULL AND b.classid = d.refclassid AND b.objid = d.refobjid
                AND b.subid = d.refobjsubid
WHERE d.deptype IN ('n', 'a')
  AND NOT EXISTS (SELECT 1 FROM ext e WHERE e.classid = d.classid AND e.objid = d.objid)
  AND (x.extname IS NOT NULL OR b.key IS NOT NULL);

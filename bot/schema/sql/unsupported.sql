-- Objects of kinds the engine does not diff, so they can be named in a warning.
WITH scope AS (
    SELECT n.oid, n.nspname FROM pg_namespace n
    WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT kind, identity, signature FROM (
    SELECT CASE t.typtype WHEN 'r' THEN 'range type' WHEN 'm' THEN 'multirange type'
                          ELSE 'base type' END AS kind,
           quote_ident(s.nspname) || '.' || quote_ident(t.typname) AS identity, '' AS signature
    FROM pg_type t JOIN scope s ON s.oid = t.typnamespace
    WHERE (t.typtype IN ('r', 'm') OR (t.typtype = 'b' AND t.typcategory <> 'A'))
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
    UNION ALL
    SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'relation kind ' || c.relkind::text END,
           quote_ident(s.nspname) || '.' || quote_ident(c.relname), ''
    FROM pg_class c JOIN scope s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('f')
    UNION ALL
    -- typed tables (CREATE TABLE ... OF type): left out of the model, see tables.sql
    SELECT 'typed table', quote_ident(s.nspname) || '.' || quote_ident(c.relname),
           'OF ' || format_type(c.reloftype, NULL)
    FROM pg_class c JOIN scope s ON s.oid = c.relnamespace
    WHERE c.reloftype <> 0 AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
    UNION ALL
    SELECT 'rule', quote_ident(r.rulename) || ' on ' || quote_ident(s.nspname) || '.' || quote_ident(c.relname),
           pg_get_ruledef(r.oid)
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN scope s ON s.oid = c.relnamespace
    WHERE r.rulename <> '_RETURN'
    UNION ALL
    SELECT 'operator', quote_ident(s.nspname) || '.' || o.oprname
           || '(' || format_type(o.oprleft, NULL) || ', ' || format_type(o.oprright, NULL) || ')', ''
    FROM pg_operator o JOIN scope s ON s.oid = o.oprnamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_operator'::regclass AND ext.objid = o.oid)
    UNION ALL
    SELECT 'text search configuration', quote_ident(s.nspname) || '.' || quote_ident(cf.cfgname), ''
    FROM pg_ts_config cf JOIN scope s ON s.oid = cf.cfgnamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_config'::regclass AND ext.objid = cf.oid)
    UNION ALL
    SELECT 'extended statistics', quote_ident(s.nspname) || '.' || quote_ident(st.stxname),
           pg_get_statisticsobjdef(st.oid)
    FROM pg_statistic_ext st JOIN scope s ON s.oid = st.stxnamespace
    UNION ALL
    SELECT 'event trigger', quote_ident(e.evtname), e.evtevent FROM pg_event_trigger e
    UNION ALL
    SELECT 'publication', quote_ident(p.pubname), '' FROM pg_publication p
) u
ORDER BY 1, 2, 3;

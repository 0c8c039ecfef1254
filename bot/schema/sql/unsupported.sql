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
    UNION ALL
    -- user-made objects of catalog-wide kinds (oid >= 16384: not built into the server)
    SELECT 'cast', format('(%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)),
           c.castcontext::text || c.castmethod::text
    FROM pg_cast c
    WHERE c.oid >= 16384
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_cast'::regclass AND ext.objid = c.oid)
      -- a multirange type's own cast from its range type is part of that type
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass
                                                  AND d.objid = c.oid AND d.deptype = 'i')
    UNION ALL
    SELECT 'language', quote_ident(l.lanname), ''
    FROM pg_language l
    WHERE l.oid >= 16384
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_language'::regclass AND ext.objid = l.oid)
    UNION ALL
    SELECT 'foreign-data wrapper', quote_ident(w.fdwname), ''
    FROM pg_foreign_data_wrapper w
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_foreign_data_wrapper'::regclass
                                          AND ext.objid = w.oid)
    UNION ALL
    SELECT 'foreign server', quote_ident(fs.srvname), coalesce(array_to_string(fs.srvoptions, ', '), '')
    FROM pg_foreign_server fs
    UNION ALL
    SELECT 'operator class', quote_ident(s.nspname) || '.' || quote_ident(oc.opcname), ''
    FROM pg_opclass oc JOIN scope s ON s.oid = oc.opcnamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_opclass'::regclass AND ext.objid = oc.oid)
    UNION ALL
    SELECT 'operator family', quote_ident(s.nspname) || '.' || quote_ident(f.opfname), ''
    FROM pg_opfamily f JOIN scope s ON s.oid = f.opfnamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_opfamily'::regclass AND ext.objid = f.oid)
    UNION ALL
    SELECT 'conversion', quote_ident(s.nspname) || '.' || quote_ident(cv.conname), ''
    FROM pg_conversion cv JOIN scope s ON s.oid = cv.connamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_conversion'::regclass AND ext.objid = cv.oid)
    UNION ALL
    SELECT 'text search dictionary', quote_ident(s.nspname) || '.' || quote_ident(d.dictname),
           coalesce(d.dictinitoption, '')
    FROM pg_ts_dict d JOIN scope s ON s.oid = d.dictnamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_dict'::regclass AND ext.objid = d.oid)
    UNION ALL
    SELECT 'table access method', quote_ident(s.nspname) || '.' || quote_ident(c.relname), am.amname
    FROM pg_class c JOIN scope s ON s.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
    WHERE c.relkind IN ('r', 'm') AND am.amname <> 'heap'
) u
ORDER BY 1, 2, 3;

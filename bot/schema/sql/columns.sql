-- Columns of tables (and comments of view columns), in attribute order.
SELECT n.nspname AS schema, c.relname AS table_name, c.relkind::text AS relkind,
       a.attname AS name, a.attnum AS num,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       a.attnotnull AS not_null, a.attislocal AS is_local,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS "default",
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
       a.attidentity::text AS identity,
       CASE WHEN a.attidentity <> '' THEN (
           SELECT 'SEQUENCE NAME ' || quote_ident(sn.nspname) || '.' || quote_ident(sc.relname)
                  || ' START WITH ' || s.seqstart || ' INCREMENT BY ' || s.seqincrement
                  || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax
                  || ' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END
           FROM pg_depend d
           JOIN pg_class sc ON sc.oid = d.objid
           JOIN pg_namespace sn ON sn.oid = sc.relnamespace
           JOIN pg_sequence s ON s.seqrelid = sc.oid
           WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
             AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass
             AND d.deptype = 'i' AND sc.relkind = 'S'
           LIMIT 1) END AS identity_options,
       CASE WHEN a.attidentity <> '' THEN (
           SELECT CASE WHEN has_sequence_privilege(d.objid, 'SELECT,USAGE')
                       THEN pg_sequence_last_value(d.objid) END
           FROM pg_depend d
           WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
             AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass
             AND d.deptype = 'i' AND d.objid IN (SELECT seqrelid FROM pg_sequence)
           LIMIT 1) END AS identity_last_value,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       ds.description AS comment,
       CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::int END AS statistics,
       CASE WHEN a.attstorage <> t.typstorage
            THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'm' THEN 'MAIN'
                                   WHEN 'e' THEN 'EXTERNAL' ELSE 'EXTENDED' END END AS storage,
       CASE WHEN a.attstorage <> t.typstorage
            THEN CASE t.typstorage WHEN 'p' THEN 'PLAIN' WHEN 'm' THEN 'MAIN'
                                   WHEN 'e' THEN 'EXTERNAL' ELSE 'EXTENDED' END END AS type_storage,
       CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass
                            AND ds.objsubid = a.attnum
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%'
ORDER BY a.attrelid, a.attnum;

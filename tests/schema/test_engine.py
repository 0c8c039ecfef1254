"""Database-backed tests of the engine beyond the corpus: options, warnings, fingerprints."""

from __future__ import annotations

from bot.schema.compare import diff_databases
from bot.schema.diff import diff_schemas
from bot.schema.fingerprint import schema_fingerprint, schema_from_dict, schema_to_dict
from bot.schema.introspect import IntrospectOptions, fetch_schema
from tests.schema.roundtrip import round_trip

PRISMA = """
CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL);
INSERT INTO _prisma_migrations VALUES ('1', 'abc');
CREATE TABLE app (id int PRIMARY KEY);
"""


async def test_introspect_excluded_table_is_invisible(make_db) -> None:
    url_a = await make_db(PRISMA)
    url_b = await make_db("CREATE TABLE app (id int PRIMARY KEY);")
    options = IntrospectOptions(excluded_tables=("_prisma_migrations",))
    plan = await diff_databases(url_a, url_b, options=options)
    assert plan.is_empty, plan.sql
    qualified = IntrospectOptions(excluded_tables=("public._prisma_migrations",))
    assert (await diff_databases(url_a, url_b, options=qualified)).is_empty
    plain = await diff_databases(url_a, url_b)
    assert "DROP TABLE public._prisma_migrations" in plain.sql


async def test_introspect_excluded_schema_is_invisible(make_db) -> None:
    url_a = await make_db("CREATE SCHEMA audit; CREATE TABLE audit.log (id int);")
    url_b = await make_db()
    options = IntrospectOptions(excluded_schemas=("pg_catalog", "information_schema", "audit"))
    assert (await diff_databases(url_a, url_b, options=options)).is_empty
    assert not (await diff_databases(url_a, url_b)).is_empty


async def test_diff_unsupported_kind_is_named_in_warning(make_db) -> None:
    url_a = await make_db()
    url_b = await make_db(
        "CREATE TYPE pair AS (a int, b text);"
        "CREATE AGGREGATE my_sum(int) (SFUNC = int4pl, STYPE = int);"
    )
    plan = await diff_databases(url_a, url_b)
    assert any("composite type" in w and "public.pair" in w for w in plan.warnings)
    assert any("aggregate" in w and "my_sum" in w for w in plan.warnings)


async def test_fingerprint_stable_and_sensitive(make_db) -> None:
    sql = "CREATE TYPE e AS ENUM ('a'); CREATE TABLE t (id int PRIMARY KEY, e e);"
    url = await make_db(sql)
    first = await fetch_schema(url)
    second = await fetch_schema(await make_db(sql))
    assert schema_fingerprint(first) == schema_fingerprint(second)
    changed = await fetch_schema(await make_db(sql + "CREATE INDEX t_e ON t (e);"))
    assert schema_fingerprint(changed) != schema_fingerprint(first)
    assert len(schema_fingerprint(first)) == 64


async def test_fingerprint_serialisation_round_trips(make_db) -> None:
    url = await make_db(
        "CREATE SEQUENCE s; CREATE DOMAIN d AS int CHECK (VALUE > 0);"
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, n d DEFAULT nextval('s'));"
        "CREATE VIEW v AS SELECT id FROM t; COMMENT ON COLUMN v.id IS 'c';"
    )
    schema = await fetch_schema(url)
    restored = schema_from_dict(schema_to_dict(schema))
    assert diff_schemas(schema, restored).is_empty
    assert diff_schemas(restored, schema).is_empty
    assert schema_fingerprint(restored) == schema_fingerprint(schema)


async def test_diff_json_fields_mark_destructive(pg_cluster, make_db) -> None:
    result = await round_trip(
        pg_cluster,
        make_db,
        "CREATE TABLE t (id int, gone text); CREATE TABLE x (id int);",
        "CREATE TABLE t (id int, added int);",
    )
    rows = {(s.operation, s.object): s.to_dict() for s in result.plan.statements}
    assert rows[("drop_column", "public.t.gone")]["destructive"] is True
    assert rows[("drop_table", "public.x")]["destructive"] is True
    assert rows[("add_column", "public.t.added")]["destructive"] is False
    assert all(
        set(r) == {"sql", "object", "operation", "destructive", "transactional"}
        for r in rows.values()
    )

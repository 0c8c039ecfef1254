"""Database-backed tests of the engine beyond the corpus: options, warnings, fingerprints."""

from __future__ import annotations

from pathlib import Path

from bot.review.analyze import analyze
from bot.review.hazards import Code
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
        "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);"
        "CREATE TYPE pair AS (a int, b text);"
        "CREATE AGGREGATE my_sum(int) (SFUNC = int4pl, STYPE = int);"
    )
    plan = await diff_databases(url_a, url_b)
    assert any("range type" in w and "public.floatrange" in w for w in plan.warnings)
    # composite types and aggregates are planned now
    assert not any("pair" in w or "my_sum" in w for w in plan.warnings), plan.warnings
    assert "CREATE TYPE public.pair AS (" in plan.sql
    assert "CREATE AGGREGATE public.my_sum(integer) (" in plan.sql


TYPED = (
    "CREATE TABLE t (id int);"
    "CREATE TYPE pair AS (a int, b text);"
    "CREATE TABLE pairs OF pair (PRIMARY KEY (a));"
    "CREATE INDEX pairs_b ON pairs (b);"
)


async def test_diff_typed_table_is_unplanned_not_created(make_db) -> None:
    """A typed table (CREATE TABLE ... OF type) only in TO: its type is created, the table is
    not (nor turned into a plain table), and the plan says it is incomplete."""
    url_a = await make_db("CREATE TABLE t (id int);")
    url_b = await make_db(TYPED)
    plan = await diff_databases(url_a, url_b)
    assert plan.unplanned == ["typed table public.pairs (only in TO)"]
    assert "CREATE TYPE public.pair AS (" in plan.sql
    assert "pairs" not in plan.sql, plan.sql
    same = await diff_databases(url_b, await make_db(TYPED))
    assert same.is_empty and same.complete, (same.sql, same.unplanned)


async def test_diff_extension_without_update_path_is_unplanned(make_db) -> None:
    """citext ships no downgrade scripts: 1.6 -> 1.4 has no path, so the plan has no
    ALTER EXTENSION and names the difference as unplanned; the other way is planned."""
    newer = await make_db("CREATE EXTENSION citext VERSION '1.6';")
    older = await make_db("CREATE EXTENSION citext VERSION '1.4';")
    down = await diff_databases(newer, older)
    assert down.is_empty and not down.complete
    assert down.unplanned == [
        "extension citext: installed version 1.6, wanted 1.4: this server has no update path "
        "from 1.6 to 1.4"
    ]
    up = await diff_databases(older, newer)
    assert up.sql == "ALTER EXTENSION citext UPDATE TO '1.6';\n" and up.complete


async def test_diff_collation_redefined_under_a_column_is_unplanned(make_db) -> None:
    """A collation cannot be altered, and PostgreSQL refuses to drop one a column uses."""
    a = await make_db(
        "CREATE COLLATION c1 (provider = libc, lc_collate = 'C', lc_ctype = 'C');"
        "CREATE TABLE t (name text COLLATE c1);"
    )
    b = await make_db(
        "CREATE COLLATION c1 (provider = libc, lc_collate = 'C.UTF-8', lc_ctype = 'C.UTF-8');"
        "CREATE TABLE t (name text COLLATE c1);"
    )
    plan = await diff_databases(a, b)
    assert "COLLATION" not in plan.sql
    assert len(plan.unplanned) == 1 and plan.unplanned[0].startswith("collation public.c1: ")
    assert "public.t.name" in plan.unplanned[0]


async def test_diff_stored_composite_reordered_or_retyped_is_unplanned(make_db) -> None:
    """A column stores the type, so it can be neither re-created nor altered into the new
    attribute order (a retyped attribute would be dropped and added last): the plan says so
    and leaves the type alone rather than emitting an ALTER TYPE that fails or misorders."""
    a = await make_db(
        "CREATE TYPE point3 AS (x int, y int); CREATE TYPE pair AS (a int, b text);"
        "CREATE TABLE shapes (id int PRIMARY KEY, origin point3, p pair);"
        "INSERT INTO shapes VALUES (1, ROW(1, 2), ROW(3, 'x'));"
        "CREATE VIEW shape_x AS SELECT id, (origin).x FROM shapes;"
    )
    b = await make_db(
        "CREATE TYPE point3 AS (x numeric, y int); CREATE TYPE pair AS (b text, a int);"
        "CREATE TABLE shapes (id int PRIMARY KEY, origin point3, p pair);"
        "CREATE VIEW shape_x AS SELECT id, (origin).x FROM shapes;"
    )
    plan = await diff_databases(a, b)
    assert "ALTER TYPE" not in plan.sql and "DROP TYPE" not in plan.sql, plan.sql
    assert sorted(u.split(":")[0] for u in plan.unplanned) == [
        "composite type public.pair",
        "composite type public.point3",
    ]


async def test_diff_composite_drop_and_attribute_drop_are_destructive(make_db) -> None:
    a = await make_db(
        "CREATE TYPE pair AS (a int, b text); CREATE TYPE gone AS (x int);"
        "CREATE TABLE t (p pair); CREATE TYPE loose AS (a int, b text);"
    )
    b = await make_db(
        "CREATE TYPE pair AS (a int); CREATE TABLE t (p pair);CREATE TYPE loose AS (a int);"
    )
    plan = await diff_databases(a, b)
    flags = {s.sql.splitlines()[0]: s.destructive for s in plan.statements}
    assert flags == {
        "DROP TYPE public.gone": True,
        "ALTER TYPE public.pair": True,  # t.p stores pairs: the values of b are lost
        "ALTER TYPE public.loose": False,  # nothing stores the type
    }


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


async def test_plans_that_restart_a_sequence_or_identity_are_flagged_for_review(make_db) -> None:
    """The differ emits RESTART only when the new bounds exclude the current value; the review
    names it, since the values handed out next may repeat keys rows already hold."""
    cases = Path(__file__).parent / "cases"
    for case in (
        "sequence-new-minvalue-above-used-value",
        "identity-new-minvalue-above-used-value",
    ):
        a = await make_db((cases / case / "a.sql").read_text())
        b = await make_db((cases / case / "b.sql").read_text())
        plan = await diff_databases(a, b)
        assert "RESTART" in plan.sql, plan.sql
        codes = [f.code for f in analyze(plan.sql).findings]
        assert Code.SEQUENCE_RESTART in codes, (case, codes)


async def test_domain_collation_change_is_unplanned(make_db) -> None:
    """A domain's collation cannot be altered: the difference is named, not skipped."""
    a = await make_db('CREATE DOMAIN code AS text COLLATE "C";')
    b = await make_db('CREATE DOMAIN code AS text COLLATE "POSIX";')
    plan = await diff_databases(a, b)
    assert not plan.complete
    assert [u.split(":")[0] for u in plan.unplanned] == ["domain public.code"], plan.unplanned

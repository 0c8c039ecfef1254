"""Database-backed tests of table-level properties beyond the corpus: what PostgreSQL
cannot do in place is named, and the new table properties survive a snapshot."""

from __future__ import annotations

from bot.schema.diff import diff_schemas
from bot.schema.fingerprint import schema_from_dict, schema_to_dict
from bot.schema.introspect import fetch_schema
from tests.schema.roundtrip import apply_plan


async def test_inherit_declared_column_cannot_become_inherited_only(make_db) -> None:
    """A standalone table joining a parent keeps the columns it declares (attislocal):
    the plan links it with INHERIT, keeps its rows and says what stays different."""
    url_a = await make_db(
        "CREATE TABLE animal (id int, name text);"
        "CREATE TABLE dog (id int, name text, breed text);"
        "INSERT INTO dog VALUES (1, 'rex', 'collie');"
    )
    url_b = await make_db(
        "CREATE TABLE animal (id int, name text); CREATE TABLE dog (breed text) INHERITS (animal);"
    )
    plan = diff_schemas(await fetch_schema(url_a), await fetch_schema(url_b))
    assert plan.sql == "ALTER TABLE public.dog INHERIT public.animal;\n"
    assert any("public.dog.id stays declared" in w for w in plan.warnings), plan.warnings
    await apply_plan(url_a, plan)
    again = diff_schemas(await fetch_schema(url_a), await fetch_schema(url_b))
    assert again.is_empty, again.sql
    # the difference left is named, so nothing calls the two in sync
    assert not again.complete
    assert any(u.startswith("column public.dog.id: ") for u in again.unplanned), again.unplanned


async def test_table_properties_survive_a_snapshot(make_db) -> None:
    url = await make_db(
        "CREATE TABLE p (id int NOT NULL, body text) WITH (fillfactor = 80);"
        "CREATE UNIQUE INDEX p_id ON p (id);"
        "ALTER TABLE p REPLICA IDENTITY USING INDEX p_id;"
        "ALTER TABLE p ALTER COLUMN body SET STORAGE EXTERNAL;"
        "ALTER TABLE p ALTER COLUMN body SET COMPRESSION lz4;"
        "ALTER TABLE p ALTER COLUMN id SET STATISTICS 300;"
        "CREATE TABLE c (extra int) INHERITS (p);"
    )
    schema = await fetch_schema(url)
    child = schema.tables[("table", "public", "c")]
    assert child.inherits == (("public", "p"),)
    assert [c.name for c in child.columns if not c.local] == ["id", "body"]
    parent = schema.tables[("table", "public", "p")]
    assert (parent.replica_identity, parent.replica_index) == ("i", "p_id")
    body = parent.columns[1]
    assert (body.storage, body.type_storage, body.compression) == ("EXTERNAL", "EXTENDED", "lz4")
    assert parent.columns[0].statistics == 300
    restored = schema_from_dict(schema_to_dict(schema))
    assert diff_schemas(schema, restored).is_empty
    assert restored.tables[child.key] == child


async def test_invalid_index_is_drift(make_db) -> None:
    """An index a failed CREATE INDEX CONCURRENTLY left invalid is never IN SYNC."""
    sql = "CREATE TABLE t (id int); CREATE INDEX t_id ON t (id);"
    url_a = await make_db(
        sql + "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 't_id'::regclass;"
    )
    url_b = await make_db(sql)
    old, new = await fetch_schema(url_a), await fetch_schema(url_b)
    assert old.indexes[("index", "public", "t_id")].valid is False
    plan = diff_schemas(old, new)
    assert [s.operation for s in plan.statements] == ["drop_index", "create_index"], plan.sql

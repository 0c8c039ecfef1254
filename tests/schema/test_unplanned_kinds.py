"""Kinds the engine cannot plan are never skipped silently: each one present on one side only
makes the plan incomplete (``align diff`` exits 1, a run's verification says NOT VERIFIED),
and the same object on both sides is no difference."""

from __future__ import annotations

import pytest

from bot.schema.compare import diff_databases

KINDS = {
    "cast": (
        "CREATE TYPE mood AS ENUM ('ok');"
        "CREATE FUNCTION mood_int(mood) RETURNS int LANGUAGE sql AS 'SELECT 1';",
        "CREATE CAST (public.mood AS int) WITH FUNCTION public.mood_int(public.mood);",
        "cast (public.mood AS integer)",
    ),
    "foreign-data wrapper": ("", "CREATE FOREIGN DATA WRAPPER remote_fdw;", "remote_fdw"),
    "foreign server": (
        "CREATE FOREIGN DATA WRAPPER remote_fdw;",
        "CREATE SERVER archive FOREIGN DATA WRAPPER remote_fdw OPTIONS (dbname 'old');",
        "foreign server archive",
    ),
    "operator family": ("", "CREATE OPERATOR FAMILY fam USING btree;", "public.fam"),
    "conversion": (
        "",
        "CREATE CONVERSION latin_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;",
        "conversion public.latin_conv",
    ),
    "text search dictionary": (
        "",
        "CREATE TEXT SEARCH DICTIONARY plain_dict (TEMPLATE = simple, STOPWORDS = english);",
        "text search dictionary public.plain_dict",
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_unplanned_kind_makes_the_plan_incomplete(kind: str, make_db) -> None:
    common, extra, named = KINDS[kind]
    without = await make_db(common or None)
    with_it = await make_db(common + extra)
    for a, b, side in ((without, with_it, "TO"), (with_it, without, "FROM")):
        plan = await diff_databases(a, b)
        assert not plan.complete, plan.sql
        assert any(named in item and f"(only in {side})" in item for item in plan.unplanned), (
            plan.unplanned
        )
    same = await diff_databases(with_it, await make_db(common + extra))
    assert same.complete and same.is_empty, (same.unplanned, same.sql)

"""Restore whatever happened to production's ``public`` schema (real PostgreSQL, pg_dump).

Clusters upgraded from older PostgreSQL, or whose ``public`` was dropped and re-created, have a
``public`` that pg_dump lists in its table of contents (``SCHEMA - public``) but never creates;
restore must bring schema and rows back in each of those states, before and after the snapshot.
"""

from __future__ import annotations

import secrets

import pytest
from test_snapshots_pgdump import SCHEMA, contents, provider, run_sql, schema_text

from bot.snapshots import RESTORED

PUBLIC_OWNED_BY = """
DROP SCHEMA public CASCADE;
CREATE SCHEMA public AUTHORIZATION {role};
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


@pytest.fixture
async def other_role(pg_cluster):
    """A role that is not the one restoring; dropped after the test's databases are (list this
    fixture before ``make_db`` so it is torn down after them)."""
    role = f"align_other_{secrets.token_hex(3)}"
    await run_sql(pg_cluster.url(), f"CREATE ROLE {role} NOLOGIN")
    yield role
    await run_sql(pg_cluster.url(), f"DROP ROLE IF EXISTS {role}")


async def _public_owner(url: str) -> str | None:
    rows = await run_sql(
        url,
        "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'public'",
    )
    return rows[0]["owner"] if rows else None


@pytest.mark.parametrize("after", ["recreated_other_owner", "dropped", "owner_changed"])
async def test_restore_after_public_was_changed_since_the_snapshot(
    other_role, make_db, tmp_path, make_target, after
):
    url = await make_db(SCHEMA)
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id=f"pub-{after}")
    schema_before, data_before = await schema_text(url, tmp_path), await contents(url)

    if after == "recreated_other_owner":  # the attack: public dropped, back with another owner
        await run_sql(url, PUBLIC_OWNED_BY.format(role=other_role))
        await run_sql(url, "CREATE TABLE public.intruder (id int)")
    elif after == "dropped":
        await run_sql(url, "DROP SCHEMA public CASCADE")
    else:
        await run_sql(url, f"ALTER SCHEMA public OWNER TO {other_role}")
        await run_sql(url, "DELETE FROM orders")

    restored = await snap.restore(info)

    assert restored.status == RESTORED
    assert await contents(url) == data_before
    assert await schema_text(url, tmp_path) == schema_before
    assert await run_sql(url, "SELECT relname FROM pg_class WHERE relname = 'intruder'") == []


async def test_restore_of_a_snapshot_taken_while_public_had_another_owner(
    other_role, make_db, tmp_path, make_target
):
    """The dump's TOC lists ``SCHEMA - public`` but holds no CREATE SCHEMA public."""
    url = await make_db()
    await run_sql(url, PUBLIC_OWNED_BY.format(role=other_role))
    await run_sql(url, SCHEMA)
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id="pub-owned")
    schema_before, data_before = await schema_text(url, tmp_path), await contents(url)
    await run_sql(url, "DELETE FROM orders; CREATE TABLE later (id int)")

    await snap.restore(info)

    assert await contents(url) == data_before
    assert await schema_text(url, tmp_path) == schema_before
    assert await _public_owner(url) == other_role

    await run_sql(url, "DROP SCHEMA public CASCADE")  # and once more with public gone
    await snap.restore(info)
    assert await contents(url) == data_before
    assert await schema_text(url, tmp_path) == schema_before

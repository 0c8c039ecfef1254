"""A plan bigger than production's lock table (issue 12, item 9), on real PostgreSQL.

Production here is a cluster of its own with a small lock table
(``max_locks_per_transaction = 10``, ``max_connections = 20``: 200 slots). The plan creates
150 tables with primary keys, each taking several slots in one transaction: the review card and
the terminal card must warn before anyone approves, with the settings that size the table, and a
transaction that runs out must say so in those words, not "out of shared memory".
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.errors import ApplyError
from bot.pgcluster import PgCluster
from bot.review.model import Review, ReviewedStatement
from bot.slack.review_card import review_card
from bot.store import Store
from bot.tasks import TaskSupervisor
from bot.workflow.execute import SqlStatement, rehearse_statements
from bot.workflow.locks import LockCapacity, estimate_locks, lock_budget
from bot.workflow.run import RunState
from bot.workflow.runner import Runner
from bot.workflow.terminal import review_card_text
from tests.builders import builtin_settings

TABLES = 150
SMALL = LockCapacity(per_transaction=10, connections=20, prepared=0)
FORMULA = (
    "max_locks_per_transaction × (max_connections + max_prepared_transactions) = 10 × (20 + 0)"
)


def _many_tables(n: int) -> str:
    return "".join(f"CREATE TABLE t{i} (id int PRIMARY KEY, v text);\n" for i in range(n))


@pytest.fixture
async def small_server() -> AsyncIterator[PgCluster]:
    cluster = await PgCluster.start_ephemeral(purpose="test")
    try:
        conn = await asyncpg.connect(cluster.url())
        try:
            await conn.execute("ALTER SYSTEM SET max_locks_per_transaction = 10")
            await conn.execute("ALTER SYSTEM SET max_connections = 20")
        finally:
            await conn.close()
        await cluster.stop()
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop(delete=True)


async def test_a_full_lock_table_is_reported_in_those_words(small_server: PgCluster) -> None:
    url = await small_server.create_database("rehearse_here")
    statements = [
        SqlStatement(i + 1, f"CREATE TABLE t{i} (id int PRIMARY KEY)") for i in range(2000)
    ]
    with pytest.raises(ApplyError) as caught:
        await rehearse_statements(url, statements, statement_timeout_ms=60_000)
    message = caught.value.message
    assert FORMULA in message and "out of shared memory" in message
    assert "max_locks_per_transaction" in message and (caught.value.statement_index or 0) > 1
    conn = await asyncpg.connect(url)
    try:  # rolled back: nothing of the plan is left
        left = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert await conn.fetchval(left) == 0
    finally:
        await conn.close()


async def test_review_card_warns_when_the_plan_outgrows_production_lock_table(
    small_server: PgCluster, make_db, tmp_path: Path
) -> None:
    prod = await small_server.create_database("prod")
    dev, state = await make_db(_many_tables(TABLES)), await make_db()
    settings = builtin_settings(tmp_path / "data", prod, dev, state)
    store = await Store.open(state)
    supervisor = TaskSupervisor()
    runner = Runner(settings=settings, store=store, supervisor=supervisor)
    try:
        run = await runner.start(target="prod", requested_by="U0ALICE01", via="cli")
        run = await runner.wait(run.id)
        assert run.state is RunState.AWAITING_REVIEW
        # The rehearsal ran on the bot's scratch cluster (a big lock table) and measured it.
        assert run.data["rehearsal"]["status"] == "passed"
        budget = run.data["lock_budget"]
        assert budget["measured"] is True and budget["needed"] > SMALL.slots
        assert budget["capacity"]["slots"] == SMALL.slots
        warning = budget["warning"]
        assert FORMULA in warning and "out of shared memory" in warning

        card = json.dumps(review_card(run).blocks, ensure_ascii=False)
        assert "*Lock table*" in card and "10 × (20 + 0) = 200" in card
        assert "WARNING (lock table)" in review_card_text(run, None)
    finally:
        await supervisor.close()
        await store.close()


async def test_no_warning_when_the_plan_fits(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(), await make_db(_many_tables(3)), await make_db()
    settings = builtin_settings(tmp_path / "data", prod, dev, state)
    store = await Store.open(state)
    supervisor = TaskSupervisor()
    runner = Runner(settings=settings, store=store, supervisor=supervisor)
    try:
        run = await runner.wait(
            (await runner.start(target="prod", requested_by="U0ALICE01", via="cli")).id
        )
        budget = run.data["lock_budget"]
        assert 3 <= budget["needed"] < 200 and budget["warning"] is None
        assert "Lock table" not in json.dumps(review_card(run).blocks)
    finally:
        await supervisor.close()
        await store.close()


def _review(objects: list[tuple[str, ...]]) -> Review:
    statements = tuple(
        ReviewedStatement(
            index=i + 1,
            line=i + 1,
            sql="-- x",
            kind="CREATE TABLE",
            objects=objs,
            findings=(),
            hazards=(),
            transactional=True,
        )
        for i, objs in enumerate(objects)
    )
    return Review(statements=statements)


def test_budget_without_a_rehearsal_counts_each_named_object_once() -> None:
    review = _review([("public.a",), ("public.a", "public.b"), ("public.c",)])
    assert estimate_locks(review) == 3
    fits = lock_budget(needed=3, measured=False, capacity=SMALL)
    assert fits["warning"] is None
    crowded = lock_budget(needed=150, measured=False, capacity=SMALL)
    assert "more than half" in crowded["warning"] and "at least" in crowded["warning"]
    over = lock_budget(needed=201, measured=True, capacity=SMALL)
    assert (
        "will fail part-way" in over["warning"] and "measured in the rehearsal" in over["warning"]
    )

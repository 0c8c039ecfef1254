"""The apply executor on its own: the target lock (invariant 3) and statements that cannot run in
a transaction (invariant 5)."""

from __future__ import annotations

import asyncpg
import pytest

from bot.errors import ApplyError
from bot.workflow.execute import SqlStatement, apply_statements
from bot.workflow.identity import APPLY_LOCK_KEY

TIMEOUTS = {"lock_timeout_ms": 5000, "statement_timeout_ms": 30000}


async def test_apply_refuses_while_another_apply_holds_the_target_lock(make_db) -> None:
    url = await make_db("CREATE TABLE t (id int)")
    holder = await asyncpg.connect(url)
    await holder.execute("SELECT pg_advisory_lock($1)", APPLY_LOCK_KEY)
    try:
        with pytest.raises(ApplyError, match="holds its lock; nothing was run"):
            await apply_statements(
                url, [SqlStatement(1, "ALTER TABLE t ADD COLUMN c int")], target="prod", **TIMEOUTS
            )
        assert (
            await holder.fetchval(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = 'c'"
            )
            == 0
        )
    finally:
        await holder.close()
    # once the other apply releases the lock, the same apply goes through
    result = await apply_statements(
        url, [SqlStatement(1, "ALTER TABLE t ADD COLUMN c int")], target="prod", **TIMEOUTS
    )
    assert result.statements_applied == 1


async def test_apply_runs_non_transactional_statements_after_commit_each_reported(make_db) -> None:
    url = await make_db("CREATE TABLE t (id int)")
    stmts = [
        SqlStatement(1, "BEGIN", fold=True),
        SqlStatement(2, "ALTER TABLE t ADD COLUMN c int"),
        SqlStatement(3, "CREATE INDEX CONCURRENTLY t_c_idx ON t (c)", transactional=False),
        SqlStatement(4, "COMMIT", fold=True),
    ]
    result = await apply_statements(url, stmts, target="prod", **TIMEOUTS)
    assert result.statements_total == 2 and result.statements_applied == 2
    assert result.non_transactional == [{"index": 3, "sql": stmts[2].sql, "status": "succeeded"}]
    conn = await asyncpg.connect(url)
    assert await conn.fetchval(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_c_idx'::regclass"
    )
    await conn.close()


async def test_apply_reports_a_failed_non_transactional_statement(make_db) -> None:
    url = await make_db("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (1)")
    stmts = [
        SqlStatement(1, "CREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id)", transactional=False)
    ]
    with pytest.raises(ApplyError, match="cannot run in a transaction failed") as info:
        await apply_statements(url, stmts, target="prod", **TIMEOUTS)
    assert info.value.statement_index == 1

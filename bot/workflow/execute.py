"""Running reviewed SQL against a database: the real apply and the rolled-back rehearsal.

Apply is one transaction with ``SET LOCAL lock_timeout`` and ``statement_timeout``, under a session
advisory lock on the database (see identity.py) so two applies can never overlap, whatever process
or target name runs them. The script's own bare BEGIN/COMMIT statements are folded into that
transaction (``SqlStatement.fold``: not executed); a plan with any other transaction control never
gets here (the gate refuses it). A failing statement rolls everything back (production unchanged)
and is reported with its index. Every ApplyError says what became of the transaction
(``transaction``: production.Transaction); a connection lost while COMMIT is in flight is never
called a rollback: its outcome is unknown. Statements that cannot run in a transaction (CREATE INDEX
CONCURRENTLY, …) run after the commit, one by one, each reported. The rehearsal runs the same
statements on a copy, then reads the locks its transaction holds from ``pg_locks`` (which relations,
and how many lock-table slots in all: see locks.py) and rolls back. A statement that fills the
server's lock table is reported in those words, with the settings that size it.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bot.errors import ApplyError, CatalogError
from bot.schema.introspect import connect
from bot.workflow.identity import APPLY_LOCK_KEY
from bot.workflow.locks import is_out_of_locks, locks_held, out_of_locks_message, read_capacity
from bot.workflow.production import Transaction

Progress = Callable[[int, int], Awaitable[None]]
_ROWS = re.compile(r"^(?:INSERT \d+|UPDATE|DELETE|SELECT|MOVE|FETCH|COPY|MERGE) ?(\d+)$")


@dataclass(frozen=True)
class SqlStatement:
    index: int  # 1-based, as shown on the review card
    sql: str
    transactional: bool = True
    fold: bool = False  # a bare BEGIN/COMMIT of the script: the apply transaction replaces it


@dataclass
class ExecutionResult:
    statements_total: int
    statements_applied: int = 0
    durations: list[dict[str, Any]] = field(default_factory=list)
    locks: list[dict[str, str]] = field(default_factory=list)
    locks_held: int | None = None  # lock-table slots the rehearsal's transaction held at its end
    non_transactional: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0


def _lock_name(mode: str) -> str:
    """pg_locks' ``AccessExclusiveLock`` → ``ACCESS EXCLUSIVE``, as the review card says it."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", mode.removesuffix("Lock")).upper()


def _rows(status: str) -> int | None:
    match = _ROWS.match(status.strip())
    return int(match[1]) if match else None


async def _run_in_transaction(
    conn: asyncpg.Connection,
    statements: Sequence[SqlStatement],
    result: ExecutionResult,
    progress: Progress | None,
) -> None:
    # Read now: once the lock table is full the transaction is aborted and cannot ask.
    capacity = await read_capacity(conn) if statements else None
    for stmt in statements:
        started = time.monotonic()
        try:
            status = await conn.execute(stmt.sql)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            message = (
                out_of_locks_message(stmt.index, capacity)
                if is_out_of_locks(exc)
                else f"statement {stmt.index} failed: {exc}"
            )
            raise ApplyError(message, statement_index=stmt.index, statement=stmt.sql) from exc
        result.statements_applied += 1
        result.durations.append(
            {
                "index": stmt.index,
                "duration_s": round(time.monotonic() - started, 4),
                "rows": _rows(status),
            }
        )
        if progress is not None:
            await progress(result.statements_applied, result.statements_total)


@contextlib.asynccontextmanager
async def apply_lock(url: str, *, target: str) -> AsyncIterator[asyncpg.Connection]:
    """Hold the database's apply lock for the duration of the block (every apply path and
    restore take it); ApplyError, with nothing run, when another session holds it."""
    conn = await connect(url)
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", APPLY_LOCK_KEY):
            raise ApplyError(
                f"another apply or restore on the database behind target '{target}' holds its "
                "lock; nothing was run"
            )
        try:
            yield conn
        finally:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.execute("SELECT pg_advisory_unlock($1)", APPLY_LOCK_KEY)
    finally:
        await conn.close()


async def apply_statements(
    url: str,
    statements: Sequence[SqlStatement],
    *,
    target: str,
    lock_timeout_ms: int,
    statement_timeout_ms: int,
    progress: Progress | None = None,
) -> ExecutionResult:
    """Apply for real. Raises ApplyError (after rollback) on the first failing statement."""
    runnable = [s for s in statements if not s.fold]
    in_txn = [s for s in runnable if s.transactional]
    after = [s for s in runnable if not s.transactional]
    result = ExecutionResult(statements_total=len(runnable))
    started = time.monotonic()
    try:
        async with apply_lock(url, target=target) as conn:
            await _run_transaction(
                conn, in_txn, result, progress, lock_timeout_ms, statement_timeout_ms
            )
            try:
                await _run_outside(conn, after, result, statement_timeout_ms, progress)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                raise ApplyError(
                    f"the main transaction committed, then the connection failed: {exc}",
                    transaction=Transaction.COMMITTED,
                    result=result,
                ) from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:  # taking the lock
        raise ApplyError(
            f"apply failed before it started: {exc}", transaction=Transaction.NOT_STARTED
        ) from exc
    result.duration_s = round(time.monotonic() - started, 3)
    failed = [s for s in result.non_transactional if s["status"] != "succeeded"]
    if failed:
        raise ApplyError(
            f"{len(failed)} statement(s) that cannot run in a transaction failed after the main "
            f"transaction committed (first: statement {failed[0]['index']}: {failed[0]['error']})",
            statement_index=failed[0]["index"],
            statement=failed[0]["sql"],
            result=result,
            transaction=Transaction.COMMITTED,
        )
    return result


async def _run_transaction(
    conn: asyncpg.Connection,
    statements: Sequence[SqlStatement],
    result: ExecutionResult,
    progress: Progress | None,
    lock_timeout_ms: int,
    statement_timeout_ms: int,
) -> None:
    """The apply transaction. Every ApplyError it raises says what became of the transaction
    (``transaction``): rolled back when the server said so, unknown when the connection died
    while COMMIT was in flight (the server may have committed before it went away)."""
    tx = conn.transaction()
    try:
        await tx.start()
        await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
        await conn.execute(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
        await _run_in_transaction(conn, statements, result, progress)
    except BaseException as exc:
        # Not committed: rolled back by us, or by the server when the session ends.
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await tx.rollback()
        if isinstance(exc, ApplyError):
            exc.context.setdefault("transaction", Transaction.ROLLED_BACK)
            raise
        if isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
            raise ApplyError(
                f"apply failed before COMMIT: {exc}; the transaction was rolled back",
                transaction=Transaction.ROLLED_BACK,
            ) from exc
        raise
    try:
        await tx.commit()
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        if _commit_outcome_known(conn, exc):  # an ERROR answer to COMMIT: it rolled back
            raise ApplyError(
                f"COMMIT failed: {exc}; the transaction was rolled back",
                transaction=Transaction.ROLLED_BACK,
            ) from exc
        raise ApplyError(
            f"the connection to production was lost while COMMIT was in flight ({exc}); the "
            "outcome of COMMIT is unknown: production is re-verified",
            transaction=Transaction.UNKNOWN,
        ) from exc


def _commit_outcome_known(conn: asyncpg.Connection, exc: BaseException) -> bool:
    """True only when the server answered COMMIT with an ordinary ERROR (a deferred constraint
    failed, a timeout) on a session that is still there: the transaction was rolled back. A
    FATAL answer (the backend was terminated, e.g. while waiting for a synchronous standby after
    the commit record was written), a lost connection or a closed session leave it unknown."""
    if not isinstance(exc, asyncpg.PostgresError) or conn.is_closed():
        return False
    severity = str(getattr(exc, "severity_en", None) or getattr(exc, "severity", "") or "")
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return severity.upper() == "ERROR" and not sqlstate.startswith(("08", "57P"))


async def _run_outside(
    conn: asyncpg.Connection,
    statements: Sequence[SqlStatement],
    result: ExecutionResult,
    statement_timeout_ms: int,
    progress: Progress | None,
) -> None:
    if statements:
        await conn.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
    for stmt in statements:
        entry: dict[str, Any] = {"index": stmt.index, "sql": stmt.sql}
        try:
            await conn.execute(stmt.sql)
            entry["status"] = "succeeded"
            result.statements_applied += 1
        except asyncpg.PostgresError as exc:
            entry.update(status="failed", error=str(exc))
        result.non_transactional.append(entry)
        if progress is not None:
            await progress(result.statements_applied, result.statements_total)


async def rehearse_statements(
    url: str, statements: Sequence[SqlStatement], *, statement_timeout_ms: int
) -> ExecutionResult:
    """Run the transactional statements on a copy inside a transaction that is rolled back.
    Statements that cannot run in a transaction are listed, not run."""
    runnable = [s for s in statements if not s.fold]
    result = ExecutionResult(statements_total=len(runnable))
    started = time.monotonic()
    try:
        conn = await connect(url)
    except CatalogError as exc:
        raise ApplyError(f"the rehearsal copy is not reachable: {exc.message}") from exc
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
            await _run_in_transaction(conn, [s for s in runnable if s.transactional], result, None)
            result.locks_held = await locks_held(conn)
            rows = await conn.fetch(
                """SELECT c.oid::regclass::text AS relation, l.mode
                   FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                     AND c.relnamespace <> 'pg_catalog'::regnamespace
                     AND c.relkind IN ('r', 'p', 'm', 'v', 'i', 'I', 'S', 'f')
                   ORDER BY 1, 2"""
            )
            # Relations the script dropped or rewrote have no pg_class row any more: their
            # locks are covered by the statements that named them.
            result.locks = [
                {"relation": r["relation"], "mode": _lock_name(r["mode"])} for r in rows
            ]
        finally:
            await tx.rollback()
        result.non_transactional = [
            {"index": s.index, "sql": s.sql, "status": "not rehearsed"}
            for s in runnable
            if not s.transactional
        ]
    finally:
        await conn.close()
    result.duration_s = round(time.monotonic() - started, 3)
    return result

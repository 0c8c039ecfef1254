"""The bot's own persistence (asyncpg): runs, steps, decisions, recovery actions, audit events.

:class:`Store` also carries the scheduler's persistence (job leases, drift-watch state) by
inheriting :class:`~bot.store.schedule_state.ScheduleState`, which lives in its own module.

Every state change is a conditional update (``UPDATE … WHERE state = ANY($from) RETURNING``):
a duplicate event (a double click, a Slack retry, a second replica) finds the run already moved
and changes nothing. "One active run per target" is enforced by a partial unique index, so two
requests racing for one target cannot both win, whichever replica they reach.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bot.errors import RunRefused, StoreError
from bot.secrets import mask_url
from bot.store.history import HistoryStore
from bot.store.migrate import apply_migrations
from bot.store.outbox import OutboxStore
from bot.store.plans import PlanStore
from bot.store.records import AuditEvent, Decision, RecoveryAction, Run, StepRecord
from bot.store.schedule_state import ScheduleState
from bot.store.seen_requests import SeenRequests
from bot.workflow.run import ACTIVE_STATES, FINAL_STATES, RunState

# Passed to the UPDATE of every transition: rows in these states are never moved again.
_FINAL = sorted(s.value for s in FINAL_STATES)

_RUN_COLUMNS = (
    "target",
    "mode",
    "state",
    "requested_by",
    "requested_via",
    "channel",
    "message_ts",
    "finished_at",
    "git_commit",
    "sql_text",
    "sql_sha256",
    "prod_fingerprint",
    "snapshot_id",
    "approval_expires_at",
    "remind_at",
    "outcome",
    "error",
    "resumed_from",
    "data",
    "owner",
    "heartbeat_at",
    "plan_id",
    "database_key",
)


def who(identity: str) -> str:
    """An identity as a message shows it: a Slack mention for Slack users, else as recorded."""
    return f"<@{identity}>" if identity[:1] in ("U", "W") and identity.isalnum() else identity


def new_run_id(now: datetime | None = None) -> str:
    """Short, sortable, typeable: ``20261124-3f9a1c``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d}-{secrets.token_hex(3)}"


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class Store(PlanStore, ScheduleState, SeenRequests, HistoryStore, OutboxStore):
    """Async access to the state database. Create with :meth:`open`; close with :meth:`close`."""

    def __init__(self, pool: asyncpg.Pool, *, label: str) -> None:
        self._pool = pool
        self.label = label

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, max_size: int = 10) -> Store:
        label = mask_url(url)
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=max_size, init=_init_connection, timeout=10
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise StoreError(f"state database {label} is not reachable: {exc}") from exc
        store = cls(pool, label=label)
        if migrate:
            try:
                async with pool.acquire() as conn:
                    await apply_migrations(conn)
            except BaseException:
                await pool.close()
                raise
        return store

    async def close(self) -> None:
        await self._pool.close()

    async def ping(self) -> None:
        """Raise StoreError unless the state database answers within 2 s."""
        try:
            async with self._pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1", timeout=2)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(f"state database {self.label} does not answer: {exc}") from exc

    # ------------------------------------------------------------------ runs
    async def create_run(
        self,
        *,
        target: str,
        mode: str,
        requested_by: str,
        requested_via: str,
        channel: str | None = None,
        resumed_from: str | None = None,
        run_id: str | None = None,
        database_key: str | None = None,
    ) -> Run:
        """Record a new run in ``requested``; RunRefused names the holder if the target, or the
        database behind it (``database_key``, whatever the target is called), is busy."""
        run_id = run_id or new_run_id()
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    """INSERT INTO align_run (id, target, mode, state, requested_by, requested_via,
                                              channel, resumed_from, database_key)
                       VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, $8) RETURNING *""",
                    run_id,
                    target,
                    mode,
                    requested_by,
                    requested_via,
                    channel,
                    resumed_from,
                    database_key,
                )
                await self._audit(
                    conn,
                    requested_by,
                    "run.requested",
                    run_id=run_id,
                    target=target,
                    detail={"via": requested_via},
                )
        except asyncpg.UniqueViolationError as exc:
            holder = await self.active_run(target)
            if holder is None and database_key is not None:
                holder = await self.active_run_on_database(database_key)
            if holder is None:  # it finished in between; the caller may simply try again
                raise RunRefused(f"target '{target}' was busy; try again") from exc
            via = "" if holder.target == target else f" (target '{holder.target}', same database)"
            raise RunRefused(
                f"target '{target}' is busy: run {holder.id}{via} requested by "
                f"{who(holder.requested_by)} is in {holder.state.value}"
            ) from exc
        return _run(row)

    async def get_run(self, run_id: str) -> Run | None:
        row = await self._pool.fetchrow("SELECT * FROM align_run WHERE id = $1", run_id)
        return _run(row) if row else None

    async def active_run(self, target: str) -> Run | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM align_run WHERE target = $1 AND state = ANY($2::text[])",
            target,
            [s.value for s in ACTIVE_STATES],
        )
        return _run(row) if row else None

    async def active_run_on_database(self, database_key: str) -> Run | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM align_run WHERE database_key = $1 AND state = ANY($2::text[])",
            database_key,
            [s.value for s in ACTIVE_STATES],
        )
        return _run(row) if row else None

    async def list_runs(self, *, target: str | None = None, limit: int = 10) -> list[Run]:
        rows = await self._pool.fetch(
            """SELECT * FROM align_run WHERE ($1::text IS NULL OR target = $1)
               ORDER BY created_at DESC, id DESC LIMIT $2""",
            target,
            limit,
        )
        return [_run(r) for r in rows]

    async def runs_in_states(self, states: Iterable[RunState]) -> list[Run]:
        rows = await self._pool.fetch(
            "SELECT * FROM align_run WHERE state = ANY($1::text[]) ORDER BY created_at",
            [s.value for s in states],
        )
        return [_run(r) for r in rows]

    async def claim_run(self, run_id: str, owner: str) -> None:
        """Record that ``owner`` (a process) drives the run now; also its heartbeat."""
        await self._pool.execute(
            "UPDATE align_run SET owner = $2, heartbeat_at = now() WHERE id = $1", run_id, owner
        )

    async def heartbeat(self, owner: str, run_ids: Iterable[str]) -> None:
        await self._pool.execute(
            "UPDATE align_run SET heartbeat_at = now() WHERE owner = $1 AND id = ANY($2::text[])",
            owner,
            list(run_ids),
        )

    async def orphaned_runs(self, states: Iterable[RunState], *, quiet_s: float) -> list[Run]:
        """Runs in ``states`` whose driver has not sent a heartbeat for ``quiet_s`` seconds."""
        rows = await self._pool.fetch(
            """SELECT * FROM align_run WHERE state = ANY($1::text[])
               AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $2))
               ORDER BY created_at""",
            [s.value for s in states],
            quiet_s,
        )
        return [_run(r) for r in rows]

    async def last_successful_run(self, target: str, *, before: datetime) -> Run | None:
        row = await self._pool.fetchrow(
            """SELECT * FROM align_run WHERE target = $1 AND state = 'done'
               AND outcome = 'IN SYNC' AND created_at < $2 ORDER BY created_at DESC LIMIT 1""",
            target,
            before,
        )
        return _run(row) if row else None

    async def runs_with_snapshot(self, target: str, snapshot_ids: Iterable[str]) -> list[Run]:
        """Runs of ``target`` whose snapshot is one of ``snapshot_ids`` (retention marks them)."""
        rows = await self._pool.fetch(
            """SELECT * FROM align_run WHERE target = $1 AND snapshot_id = ANY($2::text[])
               ORDER BY created_at""",
            target,
            list(snapshot_ids),
        )
        return [_run(r) for r in rows]

    async def transition(
        self,
        run_id: str,
        *,
        from_states: Iterable[RunState],
        to_state: RunState,
        actor: str = "align-bot",
        decision: dict[str, Any] | None = None,
        require_plan: str | None = None,
        quiet_s: float | None = None,
        **fields: Any,
    ) -> Run | None:
        """Move the run to ``to_state`` only if it is in one of ``from_states`` (and, with
        ``require_plan``, only while that plan is the run's current one; with ``quiet_s``, only
        while its driver's heartbeat is older than that); set ``fields`` too. Returns the
        updated run, or None when those conditions did not hold (nothing changed).

        A run in a final state (done, rejected, cancelled, failed, interrupted) never moves
        again, whatever ``from_states`` says: the condition is in the UPDATE itself, so no
        caller, replica or late task can turn an ended run back into a working one.

        ``decision`` (the keyword arguments of :meth:`record_decision`) is recorded in the same
        transaction, so a decision and the move it causes are never recorded one without the
        other. A move into a working state counts as a heartbeat: the task about to drive it
        has not claimed it yet, and a sweep must not take that moment for silence."""
        sets, args = _assignments(fields, start=3)
        sets.append("state = $2")
        sets.append("updated_at = now()")
        if to_state in FINAL_STATES:
            sets.append("finished_at = coalesce(finished_at, now())")
        else:
            sets.append("heartbeat_at = now()")
        from_list = [s.value for s in from_states if s not in FINAL_STATES]
        n = len(args)
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"UPDATE align_run SET {', '.join(sets)} "
                f"WHERE id = $1 AND state = ANY(${n + 3}::text[]) "
                f"AND NOT state = ANY(${n + 4}::text[]) "
                f"AND (${n + 5}::text IS NULL OR plan_id = ${n + 5}) "
                f"AND (${n + 6}::float8 IS NULL OR heartbeat_at IS NULL "
                f"     OR heartbeat_at < now() - make_interval(secs => ${n + 6})) "
                "RETURNING *",
                run_id,
                to_state.value,
                *args,
                from_list,
                _FINAL,
                require_plan,
                quiet_s,
            )
            if row is not None:
                await self._audit(
                    conn,
                    actor,
                    f"run.{to_state.value}",
                    run_id=run_id,
                    target=row["target"],
                    sql_sha256=row["sql_sha256"],
                    plan_id=row["plan_id"],
                )
                if decision is not None:
                    await self._insert_decision(conn, run_id, **decision)
        return _run(row) if row else None

    async def update_run(self, run_id: str, **fields: Any) -> Run:
        """Set non-state fields. ``data`` is merged into the stored JSON, not replaced."""
        data = fields.pop("data", None)
        sets, args = _assignments(fields, start=2)
        if data is not None:
            sets.append(f"data = data || ${len(args) + 2}::jsonb")
            args.append(data)
        sets.append("updated_at = now()")
        row = await self._pool.fetchrow(
            f"UPDATE align_run SET {', '.join(sets)} WHERE id = $1 RETURNING *", run_id, *args
        )
        if row is None:
            raise StoreError(f"run {run_id} does not exist")
        return _run(row)

    # ------------------------------------------------------------------ steps
    async def start_step(self, run_id: str, name: str) -> int:
        """Record a step as running; returns its attempt number (1 for the first try)."""
        return await self._pool.fetchval(
            """INSERT INTO align_step (run_id, name, attempt, status)
               SELECT $1, $2, coalesce(max(attempt), 0) + 1, 'running'
               FROM align_step WHERE run_id = $1 AND name = $2 RETURNING attempt""",
            run_id,
            name,
        )

    async def finish_step(
        self,
        run_id: str,
        name: str,
        *,
        status: str,
        exit_code: int | None = None,
        output_tail: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self._pool.execute(
            """UPDATE align_step SET status = $3, finished_at = now(), exit_code = $4,
                      output_tail = $5, detail = detail || $6::jsonb
               WHERE run_id = $1 AND name = $2
                 AND attempt = (SELECT max(attempt) FROM align_step
                                WHERE run_id = $1 AND name = $2)""",
            run_id,
            name,
            status,
            exit_code,
            output_tail,
            detail or {},
        )

    async def record_step(self, run_id: str, name: str, *, status: str, **kw: Any) -> None:
        """A step recorded in one go (e.g. ``skipped`` with its reason)."""
        await self.start_step(run_id, name)
        await self.finish_step(run_id, name, status=status, **kw)

    async def steps(self, run_id: str) -> list[StepRecord]:
        rows = await self._pool.fetch(
            "SELECT * FROM align_step WHERE run_id = $1 ORDER BY started_at, name, attempt", run_id
        )
        return [StepRecord(**dict(r)) for r in rows]

    # ------------------------------------------------------------------ decisions
    async def record_decision(self, run_id: str, **decision: Any) -> Decision | None:
        """Insert a decision (the keyword arguments of :meth:`_insert_decision`); None if this
        reviewer already made the same decision on this plan."""
        async with self._pool.acquire() as conn, conn.transaction():
            return await self._insert_decision(conn, run_id, **decision)

    async def _insert_decision(
        self,
        conn: asyncpg.Connection,
        run_id: str,
        *,
        decision: str,
        user_id: str,
        reason: str | None = None,
        sql_sha256: str | None = None,
        prod_fingerprint: str | None = None,
        snapshot_id: str | None = None,
        git_commit: str | None = None,
        remind_at: datetime | None = None,
        plan_id: str | None = None,
    ) -> Decision | None:
        row = await conn.fetchrow(
            """INSERT INTO align_decision (run_id, decision, user_id, reason, sql_sha256,
                      prod_fingerprint, snapshot_id, git_commit, remind_at, plan_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
               ON CONFLICT DO NOTHING RETURNING *""",
            run_id,
            decision,
            user_id,
            reason,
            sql_sha256,
            prod_fingerprint,
            snapshot_id,
            git_commit,
            remind_at,
            plan_id,
        )
        if row is not None:
            await self._audit(
                conn,
                user_id,
                f"decision.{decision}",
                run_id=run_id,
                sql_sha256=sql_sha256,
                plan_id=plan_id,
                detail={"reason": reason},
            )
        return Decision(**dict(row)) if row else None

    async def decisions(self, run_id: str) -> list[Decision]:
        rows = await self._pool.fetch(
            "SELECT * FROM align_decision WHERE run_id = $1 ORDER BY id", run_id
        )
        return [Decision(**dict(r)) for r in rows]

    # ------------------------------------------------------------------ recovery
    async def record_recovery(
        self,
        run_id: str,
        *,
        action: str,
        user_id: str,
        note: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> RecoveryAction:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """INSERT INTO align_recovery (run_id, action, user_id, note, detail)
                   VALUES ($1, $2, $3, $4, $5) RETURNING *""",
                run_id,
                action,
                user_id,
                note,
                detail or {},
            )
            await self._audit(
                conn, user_id, f"recovery.{action}", run_id=run_id, detail={"note": note}
            )
        return RecoveryAction(**dict(row))

    async def recovery_actions(self, run_id: str) -> list[RecoveryAction]:
        rows = await self._pool.fetch(
            "SELECT * FROM align_recovery WHERE run_id = $1 ORDER BY id", run_id
        )
        return [RecoveryAction(**dict(r)) for r in rows]

    # ------------------------------------------------------------------ audit
    async def audit(
        self,
        actor: str,
        action: str,
        *,
        run_id: str | None = None,
        target: str | None = None,
        sql_sha256: str | None = None,
        plan_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        async with self._pool.acquire() as conn:
            await self._audit(
                conn,
                actor,
                action,
                run_id=run_id,
                target=target,
                sql_sha256=sql_sha256,
                plan_id=plan_id,
                detail=detail,
            )

    async def audit_events(
        self, *, run_id: str | None = None, limit: int = 500
    ) -> list[AuditEvent]:
        rows = await self._pool.fetch(
            """SELECT * FROM align_audit WHERE ($1::text IS NULL OR run_id = $1)
               ORDER BY id LIMIT $2""",
            run_id,
            limit,
        )
        return [AuditEvent(**dict(r)) for r in rows]

    async def refusals(self, *, target: str | None = None, limit: int = 10) -> list[AuditEvent]:
        """The latest refused requests, clicks and submissions (``*.refused``), newest first,
        on ``target`` (or on any)."""
        rows = await self._pool.fetch(
            """SELECT * FROM align_audit
               WHERE action LIKE '%.refused' AND ($1::text IS NULL OR target = $1)
               ORDER BY id DESC LIMIT $2""",
            target,
            limit,
        )
        return [AuditEvent(**dict(r)) for r in rows]

    @staticmethod
    async def _audit(conn: asyncpg.Connection, actor: str, action: str, **kw: Any) -> None:
        await conn.execute(
            """INSERT INTO align_audit (actor, action, run_id, target, sql_sha256, detail,
                                       plan_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            actor,
            action,
            kw.get("run_id"),
            kw.get("target"),
            kw.get("sql_sha256"),
            kw.get("detail") or {},
            kw.get("plan_id"),
        )


def _assignments(fields: dict[str, Any], *, start: int) -> tuple[list[str], list[Any]]:
    sets, args = [], []
    for name, value in fields.items():
        if name not in _RUN_COLUMNS or name in ("state", "data"):
            raise StoreError(f"cannot set run field {name!r}")
        args.append(value)
        sets.append(f"{name} = ${start + len(args) - 1}")
    return sets, args


def _run(row: asyncpg.Record) -> Run:
    values = dict(row)
    values["state"] = RunState(values["state"])
    return Run(**values)

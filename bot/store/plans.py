"""Plan persistence, mixed into :class:`~bot.store.store.Store`.

A plan is written once and never edited: only its superseding (when, by which plan, why) is
added later. Recording a new plan, superseding the run's previous one and naming the new one as
the run's current plan happen in one transaction, so there is never a moment in which two plans
of one run are current, or in which a run points at a plan that does not exist. Callers use
these through ``Store`` (``store.record_plan(...)``); this module never imports
``bot.store.store``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from bot.errors import StoreError
from bot.store.records import Plan, plan_id_for


class PlanStore:
    """Plan methods; the host class provides ``self._pool`` and ``self._audit``."""

    _pool: asyncpg.Pool

    async def record_plan(
        self,
        run_id: str,
        *,
        sql_bytes: bytes,
        sql_sha256: str,
        prod_fingerprint: str,
        verdict: str,
        unappliable: Sequence[str] = (),
        snapshot_id: str | None = None,
        snapshot_fingerprint: str | None = None,
        snapshot_taken_at: datetime | None = None,
        git_commit: str | None = None,
        expires_at: datetime | None = None,
        supersede_why: str = "re-diffed",
    ) -> Plan:
        """Record the run's next plan, supersede its current one, and make the new one current."""
        async with self._pool.acquire() as conn, conn.transaction():
            run = await conn.fetchrow(
                "SELECT plan_id, target FROM align_run WHERE id = $1 FOR UPDATE", run_id
            )
            if run is None:
                raise StoreError(f"run {run_id} does not exist")
            seq = await conn.fetchval(
                "SELECT coalesce(max(seq), 0) + 1 FROM align_plan WHERE run_id = $1", run_id
            )
            plan_id = plan_id_for(run_id, seq)
            row = await conn.fetchrow(
                """INSERT INTO align_plan (id, run_id, seq, sql_bytes, sql_sha256,
                          prod_fingerprint, snapshot_id, snapshot_fingerprint, snapshot_taken_at,
                          git_commit, verdict, unappliable, expires_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13)
                   RETURNING *""",
                plan_id,
                run_id,
                seq,
                sql_bytes,
                sql_sha256,
                prod_fingerprint,
                snapshot_id,
                snapshot_fingerprint,
                snapshot_taken_at,
                git_commit,
                verdict,
                list(unappliable),
                expires_at,
            )
            previous = run["plan_id"]
            if previous is not None:
                await conn.execute(
                    """UPDATE align_plan SET superseded_by = $2,
                              superseded_at = coalesce(superseded_at, now()),
                              superseded_why = coalesce(superseded_why, $3)
                       WHERE id = $1""",
                    previous,
                    plan_id,
                    supersede_why,
                )
            await conn.execute(
                """UPDATE align_run SET plan_id = $2, sql_sha256 = $3, prod_fingerprint = $4,
                          updated_at = now() WHERE id = $1""",
                run_id,
                plan_id,
                sql_sha256,
                prod_fingerprint,
            )
            await self._audit(  # type: ignore[attr-defined]
                conn,
                "align-bot",
                "plan.created",
                run_id=run_id,
                target=run["target"],
                sql_sha256=sql_sha256,
                plan_id=plan_id,
                detail={"supersedes": previous, "verdict": verdict},
            )
        return _plan(row)

    async def supersede_plan(self, plan_id: str, *, why: str) -> bool:
        """Mark a plan superseded now (its replacement, if any, is linked when it is recorded).
        True when this call superseded it; False when it already was."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """UPDATE align_plan SET superseded_at = now(), superseded_why = $2
                   WHERE id = $1 AND superseded_at IS NULL RETURNING run_id, sql_sha256""",
                plan_id,
                why,
            )
            if row is not None:
                await self._audit(  # type: ignore[attr-defined]
                    conn,
                    "align-bot",
                    "plan.superseded",
                    run_id=row["run_id"],
                    sql_sha256=row["sql_sha256"],
                    plan_id=plan_id,
                    detail={"why": why},
                )
        return row is not None

    async def set_plan_expiry(self, plan_id: str, expires_at: datetime | None) -> None:
        await self._pool.execute(
            "UPDATE align_plan SET expires_at = $2 WHERE id = $1", plan_id, expires_at
        )

    async def get_plan(self, plan_id: str) -> Plan | None:
        row = await self._pool.fetchrow("SELECT * FROM align_plan WHERE id = $1", plan_id)
        return _plan(row) if row else None

    async def plans(self, run_id: str) -> list[Plan]:
        rows = await self._pool.fetch(
            "SELECT * FROM align_plan WHERE run_id = $1 ORDER BY seq", run_id
        )
        return [_plan(r) for r in rows]


def _plan(row: asyncpg.Record) -> Plan:
    values: dict[str, Any] = dict(row)
    unappliable = values.pop("unappliable")
    if isinstance(unappliable, str):  # a connection without the jsonb codec
        unappliable = json.loads(unappliable)
    values["sql_bytes"] = bytes(values["sql_bytes"])
    return Plan(**values, unappliable=tuple(unappliable or ()))

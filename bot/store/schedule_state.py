"""Scheduler persistence, mixed into :class:`~bot.store.store.Store`: job leases and drift state.

A scheduled job's firing is claimed through a row in ``align_job_run`` (one winner per
``(job, fired_at)``, whichever replica asks first), finished with its result, and pruned once
it is old. The drift watch remembers what it last saw per target in ``align_drift_state``.
Callers use these through ``Store`` (``store.claim_job(...)``); this module never imports
``bot.store.store``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from bot.store.records import DriftState, JobRun


class ScheduleState:
    """Job-lease and drift-watch methods; the host class provides ``self._pool``."""

    _pool: asyncpg.Pool

    # ------------------------------------------------------------------ job leases
    async def claim_job(self, job: str, fired_at: datetime, owner: str) -> bool:
        """Claim one firing of a scheduled job. True for exactly one caller per (job, fired_at),
        whichever replica asks first; everyone else gets False and must skip the firing."""
        claimed = await self._pool.fetchval(
            """INSERT INTO align_job_run (job, fired_at, owner) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""",
            job,
            fired_at,
            owner,
        )
        return bool(claimed)

    async def finish_job(self, job: str, fired_at: datetime, *, result: dict[str, Any]) -> None:
        await self._pool.execute(
            """UPDATE align_job_run SET finished_at = now(), result = $3::jsonb
               WHERE job = $1 AND fired_at = $2""",
            job,
            fired_at,
            result,
        )

    async def job_runs(self, job: str | None = None, *, limit: int = 100) -> list[JobRun]:
        rows = await self._pool.fetch(
            """SELECT * FROM align_job_run WHERE ($1::text IS NULL OR job = $1)
               ORDER BY fired_at DESC, job LIMIT $2""",
            job,
            limit,
        )
        return [JobRun(**dict(r)) for r in rows]

    async def prune_job_runs(self, *, older_than: datetime) -> int:
        """Forget job firings older than ``older_than`` (they only serve as leases)."""
        status = await self._pool.execute(
            "DELETE FROM align_job_run WHERE fired_at < $1", older_than
        )
        return int(status.split()[-1])

    # ------------------------------------------------------------------ drift watch
    async def drift_state(self, target: str) -> DriftState | None:
        row = await self._pool.fetchrow("SELECT * FROM align_drift_state WHERE target = $1", target)
        return DriftState(**dict(row)) if row else None

    async def save_drift_state(
        self,
        target: str,
        *,
        signature: str | None,
        in_sync: bool,
        statements: int,
        checked_at: datetime,
        alerted_at: datetime | None,
    ) -> DriftState:
        """Remember what the drift watch saw (``alerted_at`` None keeps the previous one)."""
        row = await self._pool.fetchrow(
            """INSERT INTO align_drift_state AS s
                      (target, signature, in_sync, statements, checked_at, alerted_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (target) DO UPDATE SET signature = EXCLUDED.signature,
                   in_sync = EXCLUDED.in_sync, statements = EXCLUDED.statements,
                   checked_at = EXCLUDED.checked_at,
                   alerted_at = coalesce(EXCLUDED.alerted_at, s.alerted_at)
               RETURNING *""",
            target,
            signature,
            in_sync,
            statements,
            checked_at,
            alerted_at,
        )
        return DriftState(**dict(row))

"""What happened on a database after a point in time, and the restore claim; mixed into
:class:`~bot.store.store.Store`.

A restore wipes every change applied after its snapshot, so before restoring, the workflow asks
which runs on the same database (matched by database identity, or by target name for runs
recorded before identities existed) started an apply after the snapshot was taken. The restore
claim lives in the run's own row (``data.restore``): a restore that finished is recorded there,
so a second click, a Slack retry or another replica is refused by the store, not by the memory
of one process. This module never imports ``bot.store.store``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from bot.workflow.restore_rules import LaterApply

__all__ = ["HistoryStore"]

_LATER_APPLIES = """
SELECT r.id, r.target, r.state, r.outcome, r.data -> 'apply' AS apply,
       min(s.started_at) AS apply_started_at
FROM align_run AS r
JOIN align_step AS s ON s.run_id = r.id AND s.name = 'apply'
WHERE r.id <> $1
  AND (r.database_key = $2 OR r.target = $3)
  AND s.started_at > $4
GROUP BY r.id
ORDER BY min(s.started_at), r.id
"""


class HistoryStore:
    """History queries and the restore claim; the host class provides ``self._pool``."""

    _pool: asyncpg.Pool

    async def database_now(self) -> datetime:
        """The state database's clock (the one step times are recorded with)."""
        return await self._pool.fetchval("SELECT now()")

    async def later_applies(
        self, run_id: str, *, database_key: str | None, target: str, since: datetime
    ) -> list[LaterApply]:
        """Runs other than ``run_id`` on the same database (or target) whose apply step started
        after ``since``, oldest first, whatever state they are in now."""
        rows = await self._pool.fetch(_LATER_APPLIES, run_id, database_key, target, since)
        return [
            LaterApply(
                run_id=r["id"],
                target=r["target"],
                state=r["state"],
                outcome=r["outcome"],
                apply_started_at=r["apply_started_at"],
                apply=_json(r["apply"]),
            )
            for r in rows
        ]

    async def claim_restore(
        self, run_id: str, *, user_id: str, token: str
    ) -> dict[str, Any] | None:
        """Mark the run's restore as running; None on success, else the claim that stands in
        the way (a finished restore, or one running now). Callers hold the database's apply
        lock, so a claim still marked running was left by a process that died mid-restore
        (its restore transaction rolled back with it) and is taken over."""
        claim = {"state": "running", "user": user_id, "token": token}
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT data -> 'restore' AS restore FROM align_run WHERE id = $1 FOR UPDATE",
                run_id,
            )
            if row is None:
                return {"state": "missing"}
            current = _json(row["restore"])
            if current.get("state") == "done":
                return current
            restored = await conn.fetchrow(
                """SELECT user_id, created_at FROM align_recovery
                   WHERE run_id = $1 AND action = 'restored_snapshot'
                     AND coalesce(note, '') NOT LIKE 'restore FAILED%' LIMIT 1""",
                run_id,
            )
            if restored is not None:  # restored before claims were recorded in the run
                return {"state": "done", "user": restored["user_id"]}
            await conn.execute(
                """UPDATE align_run SET data = data || jsonb_build_object('restore',
                          $2::jsonb || jsonb_build_object('at', now())), updated_at = now()
                   WHERE id = $1""",
                run_id,
                claim,
            )
        return None

    async def finish_restore(self, run_id: str, *, token: str, state: str) -> None:
        """End this claim (``done``, ``failed`` or ``refused``); a claim taken over by someone
        else (another token) is left alone."""
        await self._pool.execute(
            """UPDATE align_run SET data = jsonb_set(data, '{restore}',
                      (data -> 'restore') || jsonb_build_object('state', $3::text,
                                                               'finished_at', now())),
                      updated_at = now()
               WHERE id = $1 AND data -> 'restore' ->> 'token' = $2""",
            run_id,
            token,
            state,
        )


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # a connection without the jsonb codec
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else {}

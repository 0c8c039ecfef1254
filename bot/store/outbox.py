"""The durable Slack outbox, mixed into :class:`~bot.store.store.Store`.

What the bot owes Slack for a run is a row here before any Slack call is made, so a restart, a
crash or a replica that stops loses nothing. Rows of one run are delivered in order: only the
run's oldest pending row (its *head*) can be claimed, and claiming is a lease (``owner``,
``lease_until``), never process memory, so any replica can deliver what another one enqueued and
two replicas never deliver the same row at once. Every time is the database's ``now()``, so
replicas with skewed clocks agree on who holds a lease.

This module never imports ``bot.store.store``; the host class provides ``self._pool`` and
``self._audit``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

__all__ = ["OutboxItem", "OutboxStore", "Owed"]


class Owed(StrEnum):
    """What one outbox row asks of Slack (the closed vocabulary of ``align_slack_outbox.kind``)."""

    RUN_MESSAGE = "run_message"  # post the run's channel message (its ts is stored on the run)
    RENDER = "render"  # re-render the run message from the store (coalesced)
    CARD = "card"  # post the review card of payload.plan_id in the thread
    CARD_UPDATE = "card_update"  # update the card after a decision, or close it
    SQL_UPLOAD = "sql_upload"  # upload the full SQL of payload.plan_id in the thread
    FAILURE = "failure"  # post the failure details (on-call mentioned) in the thread
    REPORT = "report"  # upload the report file payload.path in the thread
    NOTE = "note"  # post payload.message (text, blocks) in the thread


@dataclass(frozen=True)
class OutboxItem:
    """One row of ``align_slack_outbox``."""

    id: int
    run_id: str
    kind: Owed
    state: str
    attempts: int
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    lease_until: datetime | None = None
    not_before: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None


# The head of every run with something pending, when it may be tried now and nobody holds it.
_CLAIMABLE_HEADS = """
    SELECT id FROM (
        SELECT DISTINCT ON (run_id) id, run_id, not_before, lease_until
        FROM align_slack_outbox WHERE state = 'pending'
        ORDER BY run_id, id
    ) head
    WHERE not_before <= now() AND (lease_until IS NULL OR lease_until < now())
      AND ($3::text IS NULL OR run_id = $3)
      AND NOT (run_id = ANY($4::text[]))
    ORDER BY id
    LIMIT $5
"""


class OutboxStore:
    """Outbox methods of the store (``store.outbox_enqueue(...)`` etc.)."""

    _pool: asyncpg.Pool

    async def outbox_enqueue(
        self,
        run_id: str,
        kind: Owed,
        payload: dict[str, Any] | None = None,
        *,
        coalesce: bool = False,
    ) -> int | None:
        """Record what is owed; returns the row id. With ``coalesce``, nothing is added (None)
        when the run already has a row of this kind waiting that nobody has started: that row,
        read from the store when delivered, covers this request too (the run message's
        re-render)."""
        if coalesce:
            return await self._pool.fetchval(
                """INSERT INTO align_slack_outbox (run_id, kind, payload)
                   SELECT $1, $2, $3::jsonb
                   WHERE NOT EXISTS (
                       SELECT 1 FROM align_slack_outbox
                       WHERE run_id = $1 AND kind = $2 AND state = 'pending'
                         AND (lease_until IS NULL OR lease_until < now()))
                   RETURNING id""",
                run_id,
                kind.value,
                payload or {},
            )
        return await self._pool.fetchval(
            """INSERT INTO align_slack_outbox (run_id, kind, payload)
               VALUES ($1, $2, $3::jsonb) RETURNING id""",
            run_id,
            kind.value,
            payload or {},
        )

    async def outbox_claim(
        self,
        owner: str,
        *,
        lease_s: float,
        run_id: str | None = None,
        exclude: Sequence[str] = (),
        limit: int = 20,
    ) -> list[OutboxItem]:
        """Lease the heads of runs that are due (at most one row per run; only ``run_id``'s when
        given; never the runs in ``exclude``). A row another replica holds is not taken until its
        lease runs out: the UPDATE re-checks the lease on the locked row, so two replicas racing
        for one head cannot both win."""
        rows = await self._pool.fetch(
            f"""UPDATE align_slack_outbox o
                   SET owner = $1, lease_until = now() + make_interval(secs => $2),
                       attempts = o.attempts + 1
                 WHERE o.id IN ({_CLAIMABLE_HEADS})
                   AND o.state = 'pending'
                   AND (o.lease_until IS NULL OR o.lease_until < now())
                 RETURNING o.*""",
            owner,
            lease_s,
            run_id,
            list(exclude),
            limit,
        )
        return sorted((_item(r) for r in rows), key=lambda i: i.id)

    async def outbox_extend(self, item_id: int, owner: str, *, lease_s: float) -> bool:
        """Renew a lease while its Slack call is in flight; False if it was lost."""
        status = await self._pool.execute(
            """UPDATE align_slack_outbox SET lease_until = now() + make_interval(secs => $3)
               WHERE id = $1 AND owner = $2 AND state = 'pending'""",
            item_id,
            owner,
            lease_s,
        )
        return status.endswith(" 1")

    async def outbox_done(
        self, item_id: int, owner: str, *, result: dict[str, Any] | None = None
    ) -> bool:
        """Mark delivered with Slack's answer. False when this owner no longer held the row (its
        lease ran out and another replica took it: Slack may then have seen it twice)."""
        status = await self._pool.execute(
            """UPDATE align_slack_outbox
                  SET state = 'done', result = $3::jsonb, finished_at = now(),
                      owner = NULL, lease_until = NULL, error = NULL
                WHERE id = $1 AND owner = $2 AND state = 'pending'""",
            item_id,
            owner,
            result,
        )
        return status.endswith(" 1")

    async def outbox_retry(self, item_id: int, owner: str, *, delay_s: float, error: str) -> None:
        """Give the row back after a retryable failure; it is due again in ``delay_s``."""
        await self._pool.execute(
            """UPDATE align_slack_outbox
                  SET owner = NULL, lease_until = NULL, error = $3,
                      not_before = now() + make_interval(secs => $4)
                WHERE id = $1 AND owner = $2 AND state = 'pending'""",
            item_id,
            owner,
            error,
            delay_s,
        )

    async def outbox_fail(self, item: OutboxItem, owner: str, *, error: str) -> bool:
        """Record a permanent failure (the run's queue moves on) and audit it."""
        async with self._pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                """UPDATE align_slack_outbox
                      SET state = 'failed', error = $3, finished_at = now(),
                          owner = NULL, lease_until = NULL
                    WHERE id = $1 AND owner = $2 AND state = 'pending'""",
                item.id,
                owner,
                error,
            )
            failed = status.endswith(" 1")
            if failed:
                await self._audit(  # type: ignore[attr-defined]
                    conn,
                    "align-bot",
                    "slack.undelivered",
                    run_id=item.run_id,
                    detail={"kind": item.kind.value, "error": error, "attempts": item.attempts},
                )
        return failed

    async def outbox_release(self, owner: str) -> int:
        """Give back every lease ``owner`` holds (a replica stopping): other replicas take the
        rows at once instead of waiting for the leases to run out."""
        status = await self._pool.execute(
            """UPDATE align_slack_outbox SET owner = NULL, lease_until = NULL
               WHERE owner = $1 AND state = 'pending'""",
            owner,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def outbox_pending(self, run_id: str | None = None) -> int:
        return await self._pool.fetchval(
            """SELECT count(*) FROM align_slack_outbox
               WHERE state = 'pending' AND ($1::text IS NULL OR run_id = $1)""",
            run_id,
        )

    async def outbox_next_due_s(self, *, exclude: Sequence[str] = ()) -> float | None:
        """Seconds until the head of some run (not in ``exclude``) may be claimed: 0 when one
        may be now, None when nothing is pending."""
        value = await self._pool.fetchval(
            """SELECT extract(epoch FROM min(greatest(not_before, coalesce(lease_until, now())))
                                         - now())
               FROM (SELECT DISTINCT ON (run_id) run_id, not_before, lease_until
                     FROM align_slack_outbox WHERE state = 'pending'
                     ORDER BY run_id, id) head
               WHERE NOT (run_id = ANY($1::text[]))""",
            list(exclude),
        )
        return None if value is None else max(0.0, float(value))

    async def outbox_items(self, run_id: str, *, state: str | None = None) -> list[OutboxItem]:
        rows = await self._pool.fetch(
            """SELECT * FROM align_slack_outbox
               WHERE run_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY id""",
            run_id,
            state,
        )
        return [_item(r) for r in rows]

    async def outbox_seconds_since(self, run_id: str, kind: Owed) -> float | None:
        """Seconds since a row of ``kind`` of the run was last delivered (None: never)."""
        value = await self._pool.fetchval(
            """SELECT extract(epoch FROM now() - max(finished_at)) FROM align_slack_outbox
               WHERE run_id = $1 AND kind = $2 AND state = 'done'""",
            run_id,
            kind.value,
        )
        return None if value is None else float(value)

    async def outbox_prune(self, *, older_than_days: float) -> int:
        """Forget delivered rows older than that (failed rows stay: they are what went wrong)."""
        status = await self._pool.execute(
            """DELETE FROM align_slack_outbox WHERE state = 'done'
               AND finished_at < now() - make_interval(secs => $1)""",
            older_than_days * 86400,
        )
        return int(status.rsplit(" ", 1)[-1])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # a pool without the codec


def _item(row: asyncpg.Record) -> OutboxItem:
    values: dict[str, Any] = dict(row)
    values["kind"] = Owed(values["kind"])
    values["payload"] = _json(values["payload"]) or {}
    values["result"] = _json(values["result"])
    return OutboxItem(**values)

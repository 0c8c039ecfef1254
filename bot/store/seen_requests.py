"""Replay memory, mixed into :class:`~bot.store.store.Store`: signed Slack requests already seen.

One INSERT per request (the ack must stay fast): ``first_sighting`` is True for exactly one
caller per digest, whichever replica asks first, and False for every replay. Rows only need to
outlive Slack's five-minute signature window; ``prune_seen_requests`` forgets older ones. This
module never imports ``bot.store.store``.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from bot.errors import StoreError

__all__ = ["SeenRequests"]


class SeenRequests:
    """Replay-dedupe methods; the host class provides ``self._pool`` and ``self.label``."""

    _pool: asyncpg.Pool
    label: str

    async def first_sighting(self, digest: bytes, *, kind: str, at: datetime) -> bool:
        """Remember ``digest``; True the first time it is seen, False for a replay."""
        try:
            inserted = await self._pool.fetchval(
                """INSERT INTO align_seen_request (digest, kind, seen_at) VALUES ($1, $2, $3)
                   ON CONFLICT (digest) DO NOTHING RETURNING true""",
                digest,
                kind,
                at,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(
                f"state database {self.label} did not record a request: {exc}"
            ) from exc
        return bool(inserted)

    async def prune_seen_requests(self, *, older_than: datetime) -> int:
        """Forget requests seen before ``older_than``; returns how many were forgotten."""
        try:
            status = await self._pool.execute(
                "DELETE FROM align_seen_request WHERE seen_at < $1", older_than
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(f"state database {self.label} did not prune requests: {exc}") from exc
        return int(status.split()[-1])

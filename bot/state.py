"""Opening the bot's own state store: ``ALIGN_STATE_URL`` when set, otherwise an embedded durable
cluster under the data directory (kept across restarts), database ``align_state``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from bot.config import Settings
from bot.pgcluster import PgCluster
from bot.store import Store

STATE_DB = "align_state"


@contextlib.asynccontextmanager
async def open_state_store(settings: Settings) -> AsyncIterator[Store]:
    """Yield a migrated Store; the embedded cluster (if any) keeps running after exit so other
    processes (`align report`, a restarted bot) find it; it is stopped only by its owner."""
    if settings.state_url is not None:
        store = await Store.open(settings.state_url.value)
        try:
            yield store
        finally:
            await store.close()
        return
    cluster = await PgCluster.start_persistent((settings.data_dir / "state-pg").resolve())
    conn = await asyncpg.connect(cluster.url())
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", STATE_DB):
            await conn.execute(f"CREATE DATABASE {STATE_DB}")
    finally:
        await conn.close()
    store = await Store.open(cluster.url(STATE_DB))
    try:
        yield store
    finally:
        await store.close()

"""Opening the bot's own state store: ``ALIGN_STATE_URL`` when set, otherwise an embedded durable
cluster under the data directory (kept across restarts), database ``align_state``.

The cluster's folder (``<data_dir>/state-pg``: its superuser password, server log and data) is
0700. Folders created on the way to it are 0700 too, except when we are root: the server then
runs as an unprivileged OS user (see :mod:`bot.pgcluster`) that must be able to pass through
them, so they get 0711 (enter, but neither list nor read).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from bot.config import Settings
from bot.files import private_dir
from bot.pgcluster import PgCluster
from bot.store import Store

STATE_DB = "align_state"
_TRAVERSE_ONLY = 0o711


def prepare_state_dir(base: Path) -> Path:
    """Create the embedded cluster's folder ``base`` (0700) and any missing parents (0700, or
    0711 when we are root, so the server's own OS user can reach ``base``)."""
    missing = [p for p in base.parents if not p.exists()]
    private_dir(base)
    if os.geteuid() == 0:
        for folder in missing:
            os.chmod(folder, _TRAVERSE_ONLY)
    return base


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
    base = await asyncio.to_thread(prepare_state_dir, (settings.data_dir / "state-pg").resolve())
    cluster = await PgCluster.start_persistent(base)
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

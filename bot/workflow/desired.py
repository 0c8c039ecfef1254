"""The desired schema as a database URL.

``desired_url`` targets use that database directly. ``desired_schema_file`` targets load the file
into a scratch database on an embedded throwaway cluster; the file is copied into the run folder
at dev sync, and every later load (diff, verify after a restart) reads that copy, so the schema
that was reviewed is the schema production is judged against.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from bot.config import Target
from bot.errors import DevSyncError
from bot.pgcluster import PgCluster

SCHEMA_COPY = "desired_schema.sql"


@contextlib.asynccontextmanager
async def desired_database(target: Target, run_dir: Path) -> AsyncIterator[str | None]:
    """Yield the URL holding the desired schema, or None when the target has none (commands
    mode without a desired_url: the configured verify command is then the judge)."""
    if target.desired_url is not None:
        yield target.desired_url.value
        return
    copy = run_dir / SCHEMA_COPY
    if target.desired_schema_file is None or not copy.exists():
        yield None
        return
    async with schema_file_database(copy) as url:
        yield url


@contextlib.asynccontextmanager
async def schema_file_database(path: Path) -> AsyncIterator[str]:
    """A scratch database on a throwaway local cluster holding the schema in ``path``."""
    cluster = await PgCluster.start_ephemeral()
    try:
        url = await cluster.create_database("desired")
        await load_schema_file(url, path)
        yield url
    finally:
        await cluster.stop(delete=True)


async def load_schema_file(url: str, path: Path) -> None:
    sql = path.read_text(encoding="utf-8")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    except asyncpg.PostgresError as exc:
        raise DevSyncError(f"the schema file {path.name} does not load: {exc}") from exc
    finally:
        await conn.close()

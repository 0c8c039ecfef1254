"""The desired schema as a database URL.

``desired_url`` targets use that database directly. ``desired_schema_file`` targets load the file
into a scratch database on an embedded throwaway cluster; the file is copied into the run folder
at dev sync, and every later load (diff, verify after a restart) reads that copy, so the schema
that was reviewed is the schema production is judged against.

Nobody has reviewed the file (it is the input the plan is computed from), so it loads as a role
that can do no more than own the scratch database: no superuser, no membership of
pg_execute_server_program / pg_read_server_files / pg_write_server_files. ``COPY … TO PROGRAM``,
``COPY … FROM '/etc/passwd'``, ``ALTER SYSTEM`` or an untrusted extension in the file fail with
a :class:`DevSyncError` naming the file, and the bot host is untouched (DESIGN invariant 11).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from bot.config import Target
from bot.errors import DevSyncError
from bot.pgcluster import PgCluster

SCHEMA_COPY = "desired_schema.sql"
LOADER_ROLE = "align_schema_loader"


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
    async with schema_file_database(copy, label=target.desired_schema_file.name) as url:
        yield url


@contextlib.asynccontextmanager
async def schema_file_database(path: Path, *, label: str | None = None) -> AsyncIterator[str]:
    """A scratch database on a throwaway local cluster holding the schema in ``path``, loaded
    by (and yielded as the URL of) an unprivileged owner role. ``label`` names the file in
    errors (default: ``path``'s name)."""
    cluster = await PgCluster.start_ephemeral(purpose="schema file")
    try:
        url = await cluster.create_owned_database("desired", owner=LOADER_ROLE)
        await load_schema_file(url, path, label=label)
        yield url
    finally:
        await cluster.stop(delete=True)


async def load_schema_file(url: str, path: Path, *, label: str | None = None) -> None:
    """Run the file's SQL at ``url`` (connect as an unprivileged role: see the module doc)."""
    name = label or path.name
    try:
        sql = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DevSyncError(f"the schema file {name} cannot be read: {exc}") from exc
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise DevSyncError(
            f"the schema file {name} does not load: {exc}. Schema files load as an "
            "unprivileged role: no COPY to or from programs or server files, ALTER SYSTEM, "
            "roles or untrusted extensions; keep the file to the schema itself"
        ) from exc
    except asyncpg.PostgresError as exc:
        raise DevSyncError(f"the schema file {name} does not load: {exc}") from exc
    finally:
        await conn.close()

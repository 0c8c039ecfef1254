"""Versioned migrations of the bot's own schema, applied at start-up.

Files ``migrations/NNN_name.sql`` are applied in order, each in its own transaction together with
its row in ``align_schema_version``. A transaction-level advisory lock serialises replicas that
start at once: the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import re
from importlib import resources

import asyncpg

from bot.errors import StoreError

# An arbitrary constant identifying "align-bot migrations" among advisory locks.
MIGRATION_LOCK_KEY = 0x616C69676E  # "align"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migration_files() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every bundled migration, in order."""
    found = []
    for entry in resources.files("bot.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text()))
    return sorted(found)


async def apply_migrations(conn: asyncpg.Connection) -> list[int]:
    """Apply what is missing; returns the versions applied by this call (empty when up to date)."""
    applied: list[int] = []
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS align_schema_version (
                       version integer PRIMARY KEY,
                       name text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {
                r["version"] for r in await conn.fetch("SELECT version FROM align_schema_version")
            }
            for version, name, sql in migration_files():
                if version in done:
                    continue
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO align_schema_version (version, name) VALUES ($1, $2)",
                    version,
                    name,
                )
                applied.append(version)
    except asyncpg.PostgresError as exc:
        raise StoreError(f"migrating the state database failed: {exc}") from exc
    return applied

"""Which database a target's URL reaches, whatever the target is called.

"One run at a time" must hold per *database*: two target names (or two URLs: a host name and its
address, a pooler and a direct endpoint) for one database must exclude each other. The key is
PostgreSQL's own ``system_identifier`` (unique per cluster, kept by physical replicas and
restores of the same cluster) and the database name. When the database cannot be reached, the
key falls back to the URL's host, port and database name; such a run cannot snapshot or apply
anyway, and the apply lock (below) is taken on the database itself.

The apply lock is a session advisory lock. PostgreSQL scopes advisory locks to the database the
session is connected to, so one constant key serialises every apply path on that database
(built-in apply, a configured apply command, restore), whichever target name or URL reached it.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from bot.errors import CatalogError
from bot.schema.introspect import connect

# "align-bot apply" among the database's advisory locks.
APPLY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"align-bot:apply").digest()[:8], "big", signed=True)
IDENTITY_TIMEOUT_S = 5.0


async def database_key(url: str) -> str:
    """``<system_identifier>/<database>``, or ``url:<host>:<port>/<database>`` when unreachable."""
    try:
        conn = await connect(url, timeout=IDENTITY_TIMEOUT_S)
    except CatalogError:
        return url_key(url)
    try:
        row = await conn.fetchrow(
            "SELECT system_identifier::text AS sysid, current_database() AS db "
            "FROM pg_control_system()"
        )
    except Exception:  # a managed service may hide pg_control_system(): fall back to the URL
        return url_key(url)
    finally:
        await conn.close()
    return f"{row['sysid']}/{row['db']}"


def url_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "localhost").lower()
    database = parts.path.lstrip("/") or (parts.username or "")
    return f"url:{host}:{parts.port or 5432}/{database}"

"""The SQL that empties production before a pg_dump snapshot is restored into it.

``pg_restore --clean`` only drops objects that are *in* the archive, so a table created after the
snapshot would survive the restore. Instead, every non-system schema is dropped (CASCADE) and the
``public`` schema is created again exactly as ``initdb`` makes it, whatever state production's
``public`` is in now (missing, re-created, owned by another role). That is the state pg_dump
assumes for it: a dump never contains ``CREATE SCHEMA public`` — not even when its table of
contents lists ``SCHEMA - public`` (a ``public`` that was re-created or changed owner) — and writes
``public``'s comment and grants as changes from initdb's. The dump's owner of ``public`` is set
here too, because the restore runs ``--no-owner``. The prelude opens the transaction the restore
script then runs in: if anything fails, production is left as it was.

Not reset (documented gaps): objects outside schemas that a later change may have added —
extensions installed in ``pg_catalog``, event triggers, publications, casts, foreign-data
wrappers — and ownership of everything but ``public`` (objects end up owned by the restoring
role). A snapshot of a database that had no ``public`` at all gets initdb's ``public`` back (a
dump cannot tell a missing ``public`` from an untouched one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg

from bot.schema.quoting import quote_ident, quote_literal

__all__ = ["ProductionState", "dump_public_owner", "fetch_state", "render_prelude"]

LOCK_TIMEOUT = "30s"
PUBLIC_COMMENT = "standard public schema"  # initdb's

_SCHEMAS_SQL = """
SELECT n.nspname AS name
FROM pg_catalog.pg_namespace AS n
WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY n.nspname
"""
_STATE_SQL = """
SELECT current_setting('server_version_num')::int AS version,
       (SELECT rolname FROM pg_catalog.pg_roles WHERE oid = 10) AS bootstrap,
       $1::text IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)
           AND pg_catalog.pg_has_role($1, 'MEMBER') AS can_own
"""
# `5; 2615 2200 SCHEMA - public someone`: the dump's owner of public is the rest of the line.
_TOC_PUBLIC = re.compile(r"^\s*\d+;\s+\d+\s+\d+\s+SCHEMA\s+-\s+public\s+(\S.*?)\s*$")


@dataclass(frozen=True)
class ProductionState:
    """What the prelude needs to know about production right before the restore."""

    schemas: tuple[str, ...]  # every non-system schema, dropped by the prelude
    server_version_num: int
    bootstrap_user: str  # initdb's superuser: public's owner before PostgreSQL 15
    public_owner: str | None = None  # the dump's owner of public, when it can be given to it


def dump_public_owner(toc: str) -> str | None:
    """The owner the dump records for ``public`` (``pg_restore -l`` output), or None when the
    dump leaves ``public`` as initdb made it."""
    for line in toc.splitlines():
        match = _TOC_PUBLIC.match(line)
        if match:
            return match[1]
    return None


async def fetch_state(conn: asyncpg.Connection, *, public_owner: str | None) -> ProductionState:
    """Production's schemas and version; ``public_owner`` is kept only if that role exists and
    the restoring role may hand ``public`` to it (otherwise initdb's owner stays)."""
    names = tuple(r["name"] for r in await conn.fetch(_SCHEMAS_SQL))
    row = await conn.fetchrow(_STATE_SQL, public_owner)
    return ProductionState(
        schemas=names,
        server_version_num=row["version"],
        bootstrap_user=row["bootstrap"],
        public_owner=public_owner if row["can_own"] else None,
    )


def render_prelude(state: ProductionState) -> str:
    """``BEGIN``, drop every schema, create ``public`` as initdb does (then the dump's owner).

    The transaction is left open on purpose: the restore script follows in the same session and
    ends with ``COMMIT``; if the script stops early, the session ends and everything rolls back.
    """
    lines = [
        "BEGIN;",
        f"SET LOCAL lock_timeout = {quote_literal(LOCK_TIMEOUT)};",
        # quiet: no cascade NOTICEs, no warning when the script's own BEGIN follows ours
        "SET LOCAL client_min_messages = error;",
    ]
    lines += [f"DROP SCHEMA {quote_ident(name)} CASCADE;" for name in state.schemas]
    if state.server_version_num >= 150000:
        lines += [
            "CREATE SCHEMA public AUTHORIZATION pg_database_owner;",
            "GRANT USAGE ON SCHEMA public TO PUBLIC;",
        ]
    else:
        lines += [
            f"CREATE SCHEMA public AUTHORIZATION {quote_ident(state.bootstrap_user)};",
            "GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC;",
        ]
    lines.append(f"COMMENT ON SCHEMA public IS {quote_literal(PUBLIC_COMMENT)};")
    if state.public_owner is not None:
        lines.append(f"ALTER SCHEMA public OWNER TO {quote_ident(state.public_owner)};")
    return "\n".join(lines) + "\n"

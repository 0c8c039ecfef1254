"""Read a database's schema into the pure model with a handful of catalog queries.

All queries run in one REPEATABLE READ READ ONLY transaction, so the model is one
consistent picture even while the database is being changed, and with an empty
``search_path`` so every name the server prints is schema-qualified the same way in
both databases being compared. Each object kind is one query (never one per table).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from importlib import resources

import asyncpg

from bot.errors import CatalogError
from bot.schema.build import build_schema
from bot.schema.model import Schema
from bot.secrets import mask_url

__all__ = ["IntrospectOptions", "DEFAULT_EXCLUDED_SCHEMAS", "fetch_schema", "connect"]

log = logging.getLogger(__name__)

DEFAULT_EXCLUDED_SCHEMAS: tuple[str, ...] = ("pg_catalog", "information_schema", "pg_toast")

QUERY_NAMES: tuple[str, ...] = (
    "namespaces",
    "extensions",
    "collations",
    "enums",
    "domains",
    "composites",
    "sequences",
    "tables",
    "columns",
    "constraints",
    "indexes",
    "views",
    "functions",
    "aggregates",
    "triggers",
    "policies",
    "depends",
    "unsupported",
)


def _load_queries() -> dict[str, str]:
    folder = resources.files("bot.schema") / "sql"
    return {name: (folder / f"{name}.sql").read_text(encoding="utf-8") for name in QUERY_NAMES}


QUERIES: dict[str, str] = _load_queries()


@dataclass(frozen=True, slots=True)
class IntrospectOptions:
    """What to leave out. Table names may be ``name`` (any schema) or ``schema.name``."""

    excluded_tables: tuple[str, ...] = ()
    excluded_schemas: tuple[str, ...] = DEFAULT_EXCLUDED_SCHEMAS


async def connect(url: str, *, timeout: float = 10.0) -> asyncpg.Connection:
    """Open a connection, turning every failure into a CatalogError naming the masked URL."""
    try:
        return await asyncpg.connect(url, timeout=timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise CatalogError(
            f"cannot connect to {mask_url(url)}: {_reason(exc)}", url=mask_url(url)
        ) from exc
    except ValueError as exc:  # malformed DSN
        raise CatalogError(f"invalid database URL {mask_url(url)}: {exc}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


async def fetch_schema(
    conn_or_url: asyncpg.Connection | str, *, options: IntrospectOptions | None = None
) -> Schema:
    """Introspect the database behind ``conn_or_url`` and return its Schema."""
    options = options or IntrospectOptions()
    if isinstance(conn_or_url, str):
        conn = await connect(conn_or_url)
        try:
            return await _fetch(conn, options, label=mask_url(conn_or_url))
        finally:
            await conn.close()
    return await _fetch(conn_or_url, options, label="database")


async def _fetch(conn: asyncpg.Connection, options: IntrospectOptions, *, label: str) -> Schema:
    excluded = list(options.excluded_schemas)
    rows: dict[str, list[asyncpg.Record]] = {}
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            # JIT compiling a catalog query costs more than running it (~50 ms for depends
            # at 5,000 tables): these are short queries over small tables.
            await conn.execute(
                "SELECT pg_catalog.set_config('search_path', '', true),"
                " pg_catalog.set_config('jit', 'off', true)"
            )
            version = await conn.fetchval("SELECT current_setting('server_version_num')::int")
            for name in QUERY_NAMES:
                args = [excluded] if "$1" in QUERIES[name] else []
                rows[name] = await conn.fetch(QUERIES[name], *args)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise CatalogError(f"cannot read the catalog of {label}: {_reason(exc)}") from exc
    log.debug("catalog read from %s: %s", label, {k: len(v) for k, v in rows.items()})
    return await asyncio.to_thread(
        build_schema, rows, server_version=version, excluded_tables=options.excluded_tables
    )

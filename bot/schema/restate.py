"""Ask the desired database how it would store a definition (see ``equivalence``).

Each desired text is re-created on the desired database inside one transaction that is
always rolled back: CHECK/EXCLUDE constraints, indexes and policies on an empty temporary
copy of their table (``CREATE TEMP TABLE … (LIKE …)``: no lock beyond ACCESS SHARE on
the real table, no index build over its rows), views as temporary views. Every name
the server prints is schema-qualified the way introspection prints it (empty
``search_path``). A text that cannot be re-created (a hot standby, a missing privilege,
an expression that needs the real table) is simply not restated: the object then compares
by plain text, as before. Nothing is ever run on the database being changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import asyncpg

from bot.schema import model as m
from bot.schema.equivalence import Restatement, adopt, candidates
from bot.schema.introspect import connect
from bot.schema.model import Key
from bot.schema.quoting import qualified, quote_ident

__all__ = ["align_definitions", "restate_definitions"]

log = logging.getLogger(__name__)

_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError)


async def align_definitions(
    old: m.Schema, new: m.Schema, desired: asyncpg.Connection | str
) -> m.Schema:
    """``old`` as the differ should see it: objects whose stored text is what the desired
    text stores to carry the desired text. Connects to ``desired`` only when some text
    differs."""
    wanted = candidates(old, new)
    if not wanted:
        return old
    if isinstance(desired, str):
        conn = await connect(desired)
        try:
            restated = await restate_definitions(conn, wanted)
        finally:
            await conn.close()
    else:
        restated = await restate_definitions(desired, wanted)
    return adopt(old, restated, wanted)


async def restate_definitions(
    conn: asyncpg.Connection, wanted: list[Restatement]
) -> dict[tuple[Key, str], str]:
    """(key, part) -> the text the server stores for each wanted text it could re-create."""
    out: dict[tuple[Key, str], str] = {}
    tx = conn.transaction()
    try:
        await tx.start()
        await conn.execute(
            "SELECT pg_catalog.set_config('search_path', '', true),"
            " pg_catalog.set_config('lock_timeout', '2s', true),"
            " pg_catalog.set_config('statement_timeout', '10s', true)"
        )
    except _ERRORS as exc:
        log.info("definitions not restated (cannot open a transaction): %s", exc)
        return out
    try:
        scratch = await _scratch_tables(conn, wanted)
        for n, r in enumerate(wanted):
            if r.table is not None and r.table not in scratch:
                continue
            try:
                async with conn.transaction():  # a savepoint: one failure spoils nothing
                    stored = await _restate(conn, scratch.get(r.table or ("", "")), r, n)
            except _ERRORS as exc:
                log.debug("not restated %s: %s", r.key, exc)
                continue
            if stored is not None:
                out[(r.key, r.part)] = stored
    finally:
        await tx.rollback()
    return out


async def _scratch_tables(
    conn: asyncpg.Connection, wanted: list[Restatement]
) -> dict[tuple[str, str], str]:
    """An empty temporary copy of each table an object is on (skipping those that fail)."""
    made: dict[tuple[str, str], str] = {}
    for table in sorted({r.table for r in wanted if r.table is not None}):
        name = f"align_restate_{len(made)}"
        try:
            async with conn.transaction():
                await conn.execute(f"CREATE TEMP TABLE {name} (LIKE {qualified(*table)})")
        except _ERRORS as exc:
            log.debug("no scratch copy of %s: %s", table, exc)
            continue
        made[table] = f"pg_temp.{name}"
    return made


async def _restate(
    conn: asyncpg.Connection, temp: str | None, r: Restatement, n: int
) -> str | None:
    obj = r.obj
    if isinstance(obj, m.View):
        body = obj.definition.strip().rstrip(";")
        await conn.execute(f"CREATE TEMP VIEW align_restate_view_{n} AS {body}")
        return await conn.fetchval(
            "SELECT pg_get_viewdef($1::regclass)", f"pg_temp.align_restate_view_{n}"
        )
    if temp is None:
        return None
    if isinstance(obj, m.Constraint):
        con = quote_ident(obj.name)
        await conn.execute(f"ALTER TABLE {temp} ADD CONSTRAINT {con} {obj.definition}")
        return await conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = $1::regclass AND conname = $2",
            temp,
            obj.name,
        )
    if isinstance(obj, m.Index):
        sql = _index_on(obj, temp, f"align_restate_idx_{n}")
        if sql is None:
            return None
        await conn.execute(sql)
        return await conn.fetchval(
            "SELECT pg_get_indexdef($1::regclass)", f"pg_temp.align_restate_idx_{n}"
        )
    if isinstance(obj, m.Policy):
        return await _restate_policy(conn, obj, temp, r.part, n)
    return None


def _index_on(idx: m.Index, temp: str, name: str) -> str | None:
    """The index's definition with another name, on the scratch table (None if the text
    does not have the expected shape)."""
    table = qualified(idx.schema, idx.table)
    head = f"INDEX {quote_ident(idx.name)} ON "
    at = idx.definition.find(head)
    if at < 0:
        return None
    rest = idx.definition[at + len(head) :]
    rest = rest.removeprefix("ONLY ")
    if not rest.startswith(f"{table} USING "):
        return None
    return f"{idx.definition[:at]}INDEX {name} ON {temp}{rest[len(table) :]}"


async def _restate_policy(
    conn: asyncpg.Connection, pol: m.Policy, temp: str, part: str, n: int
) -> str | None:
    text: Mapping[str, str | None] = {"using": pol.using, "with_check": pol.with_check}
    clause = "USING" if part == "using" else "WITH CHECK"
    name = f"align_restate_pol_{n}"
    await conn.execute(f"CREATE POLICY {name} ON {temp} FOR {pol.command} {clause} ({text[part]})")
    column = "polqual" if part == "using" else "polwithcheck"
    return await conn.fetchval(
        f"SELECT pg_get_expr({column}, polrelid) FROM pg_policy"
        " WHERE polrelid = $1::regclass AND polname = $2",
        temp,
        name,
    )

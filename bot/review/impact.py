"""Measure what a reviewed script would touch in a real database (``align review --against``,
and the diff step against production).

The script is not reviewed yet, so nothing from it runs here (DESIGN invariant 11). The probes
are catalog lookups and queries the bot builds itself from catalog names (``probe.py``): row
counts, sizes, NULL counts of a column, duplicate groups for a new unique key on plain columns,
foreign-key orphans on plain columns, enum values in use, dependents from pg_depend. Impacts that
would need an expression of the script evaluated — a CHECK, the WHERE of a DELETE/UPDATE, an
index expression or predicate — are reported as ``skipped`` with :data:`NOT_MEASURED` (a
DELETE/UPDATE also says how many rows the table holds, from catalog statistics).

Everything runs in one READ ONLY, REPEATABLE READ transaction with its own
``statement_timeout`` and ``search_path = pg_catalog, pg_temp``: every name the bot writes is
schema-qualified, so no operator or function resolves to a user's object by accident. Each probe
runs in a savepoint. No probe scans a large table: row counts are exact (``count`` over
``LIMIT limit+1``) only while the planner thinks the table is small; above that, planner
statistics (``reltuples``, ``pg_stats``) are used and labelled as estimates. Violation counts
stop at a cap and then read "≥ N".

Measurements describe the database as it is now, not as earlier statements of the script would
leave it; tables the script creates are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from pglast import ast
from pglast.enums import ConstrType

from bot.errors import CatalogError
from bot.review.model import Impact, Review, ReviewedStatement
from bot.review.names import quote_ident
from bot.review.probe import Probe, TableInfo, count_text
from bot.secrets import mask_url

__all__ = ["NOT_MEASURED", "estimate_impact"]

log = logging.getLogger(__name__)

NOT_MEASURED = "not measured: measuring would evaluate the plan's own expression on production"

Measure = Callable[[ReviewedStatement, str, TableInfo, Probe], Awaitable[list[Impact]]]
_MEASURES: list[Measure] = []


def measure(fn: Measure) -> Measure:
    _MEASURES.append(fn)
    return fn


async def estimate_impact(
    review: Review,
    conn_or_url: asyncpg.Connection | str,
    *,
    statement_timeout_ms: int = 5000,
    exact_row_limit: int = 100_000,
    violation_cap: int = 1000,
) -> list[Impact]:
    """Impact estimates for every statement that has a finding (read-only; runs nothing from
    the script)."""
    own = isinstance(conn_or_url, str)
    conn = await _connect(conn_or_url) if own else conn_or_url
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
            await conn.execute("SET LOCAL search_path = pg_catalog, pg_temp")
            probe = Probe(conn, exact_row_limit=exact_row_limit, cap=violation_cap)
            impacts: list[Impact] = []
            for stmt in review.statements:
                if stmt.findings:
                    impacts += await _measure_statement(stmt, probe)
            return impacts
    except asyncpg.PostgresError as exc:
        raise CatalogError(f"impact estimate failed: {exc}") from exc
    finally:
        if own:
            await conn.close()


async def _connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=15)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise CatalogError(f"cannot connect to {mask_url(url)} for --against: {exc}") from exc


async def _measure_statement(stmt: ReviewedStatement, probe: Probe) -> list[Impact]:
    out: list[Impact] = []
    for table in _tables_of(stmt):
        info = await probe.table(table)
        out += _table_impacts(stmt.index, table, info)
        if info.countable:
            for fn in _MEASURES:
                out += await fn(stmt, table, info, probe)
    return out


def _tables_of(stmt: ReviewedStatement) -> list[str]:
    details = stmt.details
    names = [*details.get("dropped_tables", ()), *details.get("truncated", ())]
    if "table" in details:
        names.append(str(details["table"]))
    return list(dict.fromkeys(names))


def _table_impacts(index: int, table: str, info: TableInfo) -> list[Impact]:
    if not info.exists:
        return [Impact(index, table, "skipped", f"{table} is not in the database (created here?)")]
    size = (
        f"{_size(info.table_bytes)} table + {_size(info.index_bytes)} indexes"
        if info.table_bytes or info.index_bytes
        else "empty on disk"
    )
    size_impact = Impact(
        index, table, "size", f"{table}: {size}", bytes=info.table_bytes + info.index_bytes
    )
    if not info.countable:
        text = f"{table}: not a table (relkind {info.relkind}); its rows are not counted"
        return [Impact(index, table, "skipped", text), size_impact]
    rows = count_text(info.rows or 0, capped=info.capped, exact=info.exact, noun="rows")
    return [
        Impact(index, table, "rows", f"{table}: {rows}", info.rows, info.exact, info.capped),
        size_impact,
    ]


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


async def _column_count(
    probe: Probe, info: TableInfo, column: str, *, nulls: bool
) -> tuple[int, bool, bool] | str:
    """(count, exact, capped) of NULL (or non-NULL) values of a plain column: bounded exact
    count on a small table, pg_stats estimate on a large one."""
    resolved = await probe.column(info, column)
    if resolved is None:
        return f"not measured: {info.ident} has no column {column} (yet)"
    test = "IS NULL" if nulls else "IS NOT NULL"
    if info.small:
        counted = await probe.bounded_count(f"FROM {info.ident} WHERE {resolved} {test}")
        return counted if isinstance(counted, str) else (counted[0], True, counted[1])
    frac = await probe.null_fraction(info, resolved)
    if frac is None:
        return "not measured: large table without statistics (run ANALYZE)"
    share = frac if nulls else 1.0 - frac
    return round((info.rows or 0) * share), False, False


@measure
async def _dropped_or_retyped(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    out = []
    cols = [(c, "dropped") for c in stmt.details.get("dropped_columns", ())]
    cols += [(c, "converted") for c in stmt.details.get("type_changes", ())]
    for col, verb in cols:
        obj = f"{table}.{col}"
        got = await _column_count(probe, info, col, nulls=False)
        if isinstance(got, str):
            out.append(Impact(stmt.index, obj, "non_null", f"{obj}: {got}"))
            continue
        count, exact, capped = got
        text = f"{obj}: {count_text(count, capped=capped, exact=exact, noun='non-null values')}"
        out.append(Impact(stmt.index, obj, "non_null", f"{text} {verb}", count, exact, capped))
    return out


@measure
async def _not_null(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    out = []
    for col in stmt.details.get("not_null", ()):
        obj = f"{table}.{col}"
        got = await _column_count(probe, info, col, nulls=True)
        if isinstance(got, str):
            out.append(Impact(stmt.index, obj, "violations", f"{obj}: {got}"))
            continue
        count, exact, capped = got
        text = count_text(count, capped=capped, exact=exact, noun="rows with NULL")
        out.append(
            Impact(stmt.index, obj, "violations", f"{obj}: {text} (would fail NOT NULL)", count,
                   exact, capped)
        )  # fmt: skip
    return out


@measure
async def _constraints(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    out = []
    for con, parent in stmt.details.get("constraints", ()):
        if con.skip_validation or (con.indexname and con.contype != ConstrType.CONSTR_PRIMARY):
            continue
        obj = f"{table} constraint {quote_ident(con.conname)}" if con.conname else table
        query = await _violation_query(con, info, parent, probe)
        if isinstance(query, _Skip):
            out.append(Impact(stmt.index, obj, "skipped", f"{obj}: {query.reason}"))
        elif query is not None:
            out.append(await _violations(stmt.index, obj, query, info, probe))
    index = stmt.details.get("index")
    if isinstance(index, ast.IndexStmt) and index.unique:
        obj = f"{quote_ident(index.idxname)}" if index.idxname else table
        query = await _unique_index_query(index, info, probe)
        if isinstance(query, _Skip):
            out.append(Impact(stmt.index, obj, "skipped", f"{obj}: {query.reason}"))
        else:
            out.append(await _violations(stmt.index, obj, query, info, probe, noun="duplicates"))
    return out


@dataclass(frozen=True)
class _Skip:
    """Why a check was not measured (kind ``skipped``)."""

    reason: str


async def _violations(
    index: int,
    obj: str,
    from_where: str,
    info: TableInfo,
    probe: Probe,
    *,
    noun: str = "violating rows",
    kind: str = "violations",
) -> Impact:
    if not info.small:
        text = f"{obj}: not checked: ~{info.rows or 0:,} rows is above the exact-count limit"
        return Impact(index, obj, "skipped", text)
    got = await probe.bounded_count(from_where)
    if isinstance(got, str):
        return Impact(index, obj, "error", f"{obj}: could not check: {got}")
    count, capped = got
    text = f"{obj}: {count_text(count, capped=capped, exact=True, noun=noun)}"
    return Impact(index, obj, kind, text, count, True, capped)


async def _columns(probe: Probe, info: TableInfo, names: list[str]) -> list[str] | _Skip:
    """The named columns resolved through the catalog, or why they cannot be."""
    found = []
    for name in names:
        column = await probe.column(info, name)
        if column is None:
            return _Skip(f"not measured: {info.ident} has no column {name} (yet)")
        found.append(column)
    return found


async def _violation_query(
    con: ast.Constraint, info: TableInfo, parent: str | None, probe: Probe
) -> str | _Skip | None:
    """FROM/WHERE text counting the rows that violate ``con``, built from catalog names only.
    A CHECK is never measured: its expression is the plan's own code."""
    if con.contype == ConstrType.CONSTR_CHECK:
        return _Skip(NOT_MEASURED)
    names = [quote_ident(k.sval) for k in con.keys or ()]
    if con.contype not in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY) or not names:
        if con.contype == ConstrType.CONSTR_FOREIGN and parent:
            return await _orphans(con, info, parent, probe)
        return None
    keys = await _columns(probe, info, names)
    if isinstance(keys, _Skip):
        return keys
    if con.contype == ConstrType.CONSTR_UNIQUE:
        return _duplicates(info.ident, keys)
    nulls = " OR ".join(f"{k} IS NULL" for k in keys)
    return (
        f"FROM (SELECT 1 FROM {info.ident} WHERE {nulls} UNION ALL SELECT 1 "
        f"{_duplicates(info.ident, keys)}) v"
    )


async def _unique_index_query(index: ast.IndexStmt, info: TableInfo, probe: Probe) -> str | _Skip:
    """Duplicates for a new unique index on plain columns; an index on expressions or with a
    WHERE predicate would need the plan's expressions evaluated, so it is not measured."""
    elems = list(index.indexParams or ())
    if index.whereClause is not None or not elems or any(e.expr is not None for e in elems):
        return _Skip(NOT_MEASURED)
    keys = await _columns(probe, info, [quote_ident(e.name) for e in elems if e.name])
    return keys if isinstance(keys, _Skip) else _duplicates(info.ident, keys)


def _duplicates(table: str, cols: list[str]) -> str:
    keys = ", ".join(cols)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    return f"FROM {table} WHERE {not_null} GROUP BY {keys} HAVING count(*) > 1"


async def _orphans(
    con: ast.Constraint, info: TableInfo, parent: str, probe: Probe
) -> str | _Skip | None:
    parent_info = await probe.table(parent)
    if not parent_info.countable:
        return _Skip(f"not measured: {parent} is not a table in the database (yet)")
    child_cols = await _columns(probe, info, [quote_ident(a.sval) for a in con.fk_attrs or ()])
    if isinstance(child_cols, _Skip):
        return child_cols
    if con.pk_attrs:
        names = [quote_ident(a.sval) for a in con.pk_attrs]
        parent_cols = await _columns(probe, parent_info, names)
        if isinstance(parent_cols, _Skip):
            return parent_cols
    else:
        parent_cols = await probe.primary_key(parent_info)
    if not child_cols or len(child_cols) != len(parent_cols):
        return None
    present = " AND ".join(f"c.{c} IS NOT NULL" for c in child_cols)
    match = " AND ".join(f"p.{p} = c.{c}" for p, c in zip(parent_cols, child_cols, strict=True))
    return (
        f"FROM {info.ident} c WHERE {present} "
        f"AND NOT EXISTS (SELECT 1 FROM {parent_info.ident} p WHERE {match})"
    )


@measure
async def _enum_swap(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    out = []
    for col, labels in stmt.details.get("enum_swaps", ()):
        obj = f"{table}.{col}"
        resolved = await probe.column(info, col)
        in_use = (
            await probe.values_in_use(info, resolved)
            if resolved
            else f"{info.ident} has no column {col}"
        )
        if isinstance(in_use, str):
            out.append(Impact(stmt.index, obj, "error", f"{obj}: could not list values: {in_use}"))
            continue
        values, exact = in_use
        removed = {v: n for v, n in values.items() if v not in labels}
        how = "" if exact else " (from planner statistics: common values only)"
        if removed:
            listed = ", ".join(f"'{v}' ({n:,} rows)" for v, n in sorted(removed.items()))
            text = f"{obj}: values in use that the new type lacks: {listed}{how}"
        else:
            text = f"{obj}: no rows hold a value the new type lacks{how}"
        total = sum(removed.values())
        out.append(
            Impact(stmt.index, obj, "enum_values_in_use", text, total, exact, False,
                   values=tuple(sorted(removed)))
        )  # fmt: skip
    return out


@measure
async def _fills(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    """How many rows a NOT NULL column's fill value fills: every row the table holds."""
    out = []
    for col, value in stmt.details.get("fills", ()):
        obj = f"{table}.{col}"
        rows = count_text(info.rows or 0, capped=info.capped, exact=info.exact, noun="rows")
        text = f"{obj}: {rows} get the fill value {value}"
        out.append(Impact(stmt.index, obj, "fills", text, info.rows, info.exact, info.capped))
    return out


@measure
async def _rows_matched(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    """A DELETE/UPDATE's WHERE clause is the plan's own expression: never evaluated. The card
    says so, with the table's size as the upper bound."""
    if stmt.details.get("where") is None or stmt.kind not in ("DELETE", "UPDATE"):
        return []
    verb = "deleted" if stmt.kind == "DELETE" else "updated"
    held = count_text(info.rows or 0, capped=info.capped, exact=info.exact, noun="rows")
    text = f"{table}: rows {verb}: {NOT_MEASURED}; the table holds {held} (the upper bound)"
    return [Impact(stmt.index, table, "skipped", text)]


@measure
async def _cascade(
    stmt: ReviewedStatement, table: str, info: TableInfo, probe: Probe
) -> list[Impact]:
    if not any(f.code == "CASCADE" for f in stmt.findings):
        return []
    dependents = await probe.dependents(info)
    if isinstance(dependents, str):
        return [Impact(stmt.index, table, "error", f"{table}: could not list dependents")]
    listed = ", ".join(dependents[:20]) + (" …" if len(dependents) > 20 else "")
    text = f"{table}: CASCADE reaches {listed}" if dependents else f"{table}: nothing depends on it"
    return [
        Impact(stmt.index, table, "dependents", text, len(dependents), True,
               values=tuple(dependents))
    ]  # fmt: skip

"""Read-only probes for impact estimates: catalog facts and bounded counts the bot builds itself.

The script under review has not been reviewed yet, so nothing in it may run on the database the
probes read (usually production). Names from the script are only ever *looked up*: the text goes
in as a bind parameter to ``to_regclass`` / ``pg_attribute``, and the SQL the bot then builds uses
the catalog's own spelling of the name, quoted by :mod:`bot.schema.quoting`. Expressions from the
script (CHECK, WHERE, index expressions, USING, defaults) are never sent at all.

Only ordinary, partitioned and materialized tables are counted: reading a view or a foreign
table would run its query (or a remote server's). Each probe runs in a savepoint; one that fails
(statement_timeout, a column the script has not created yet) returns the reason as text instead
of raising, so one bad probe never loses the other measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from bot.schema.quoting import qualified, quote_ident

__all__ = ["Probe", "TableInfo", "count_text", "unquote"]

# relkinds whose rows can be counted without running anyone's code: table, partitioned, matview
_COUNTABLE = frozenset({"r", "p", "m"})


@dataclass
class TableInfo:
    exists: bool
    rows: int | None = None  # exact count, or the planner estimate when not exact
    exact: bool = False
    capped: bool = False
    table_bytes: int = 0
    index_bytes: int = 0
    oid: int | None = None
    ident: str = ""  # schema-qualified name as the catalog spells it, quoted: safe to put in SQL
    relkind: str = ""

    @property
    def small(self) -> bool:
        return self.exact and not self.capped

    @property
    def countable(self) -> bool:
        return self.exists and self.relkind in _COUNTABLE


@dataclass
class Probe:
    conn: asyncpg.Connection
    exact_row_limit: int
    cap: int
    tables: dict[str, TableInfo] = field(default_factory=dict)

    async def query(self, sql: str, *args: object) -> list[asyncpg.Record] | str:
        """Rows, or a short reason the probe failed (timeout, missing column, ...)."""
        try:
            async with self.conn.transaction():
                return await self.conn.fetch(sql, *args)
        except asyncpg.QueryCanceledError:
            return "timed out (statement_timeout)"
        except asyncpg.PostgresError as exc:
            return f"{type(exc).__name__}: {exc}"

    async def table(self, name: str) -> TableInfo:
        if name not in self.tables:
            self.tables[name] = await self._table_info(name)
        return self.tables[name]

    async def _table_info(self, name: str) -> TableInfo:
        rows = await self.query(
            "SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.reltuples::bigint, "
            "pg_table_size(c.oid), pg_indexes_size(c.oid) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass($1)",
            name,
        )
        if isinstance(rows, str) or not rows:
            return TableInfo(exists=False)
        oid, nspname, relname, relkind, estimate, table_bytes, index_bytes = rows[0]
        info = TableInfo(
            True, estimate, False, False, table_bytes or 0, index_bytes or 0,
            oid=oid, ident=qualified(nspname, relname), relkind=relkind,
        )  # fmt: skip
        if info.countable and (estimate < 0 or estimate <= self.exact_row_limit):
            limit = self.exact_row_limit
            counted = await self.query(
                f"SELECT count(*) FROM (SELECT 1 FROM {info.ident} LIMIT {limit + 1}) s"
            )
            if not isinstance(counted, str):
                count = counted[0][0]
                info.rows, info.exact, info.capped = min(count, limit), True, count > limit
        return info

    async def column(self, info: TableInfo, name: str) -> str | None:
        """The column ``name`` (as the script wrote it) of table ``info``, quoted as the
        catalog spells it; None when the table has no such column (yet)."""
        if info.oid is None:
            return None
        rows = await self.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attname = $2 "
            "AND attnum > 0 AND NOT attisdropped",
            info.oid,
            unquote(name),
        )
        return None if isinstance(rows, str) or not rows else quote_ident(rows[0][0])

    async def bounded_count(self, sql_from_where: str) -> tuple[int, bool] | str:
        """count of ``SELECT 1 <from_where>`` stopping at the cap: (count, capped).
        ``sql_from_where`` is built by the bot from catalog names only."""
        rows = await self.query(
            f"SELECT count(*) FROM (SELECT 1 {sql_from_where} LIMIT {self.cap + 1}) s"
        )
        if isinstance(rows, str):
            return rows
        count = rows[0][0]
        return min(count, self.cap), count > self.cap

    async def null_fraction(self, info: TableInfo, column: str) -> float | None:
        rows = await self.query(
            "SELECT s.null_frac FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname "
            "WHERE c.oid = $1 AND s.attname = $2",
            info.oid,
            unquote(column),
        )
        if isinstance(rows, str) or not rows:
            return None
        return float(rows[0][0])

    async def primary_key(self, info: TableInfo) -> list[str]:
        rows = await self.query(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = $1 AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            info.oid,
        )
        return [] if isinstance(rows, str) else [quote_ident(r[0]) for r in rows]

    async def values_in_use(
        self, info: TableInfo, column: str
    ) -> tuple[dict[str, int], bool] | str:
        """Distinct values of a column (already resolved by :meth:`column`) with row counts:
        exact on a small table, else the planner's most common values (frequency times the
        row estimate)."""
        if info.small:
            rows = await self.query(
                f"SELECT {column}::pg_catalog.text, count(*) FROM {info.ident} "
                f"WHERE {column} IS NOT NULL GROUP BY 1"
            )
            return rows if isinstance(rows, str) else ({r[0]: r[1] for r in rows}, True)
        rows = await self.query(
            "SELECT s.most_common_vals::text::text[], s.most_common_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname "
            "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename "
            "WHERE c.oid = $1 AND s.attname = $2",
            info.oid,
            unquote(column),
        )
        if isinstance(rows, str):
            return rows
        if not rows or rows[0][0] is None:
            return "no planner statistics for the column (run ANALYZE)"
        values, freqs, total = rows[0]
        return {v: round(f * total) for v, f in zip(values, freqs, strict=False)}, False

    async def dependents(self, info: TableInfo) -> list[str] | str:
        """Views and foreign keys that depend on the relation (what CASCADE would reach), from
        pg_depend and pg_constraint."""
        rows = await self.query(
            "WITH named AS (SELECT c.oid, "
            "quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace) "
            "SELECT DISTINCT 'view ' || v.name FROM pg_depend d "
            "JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
            "JOIN named v ON v.oid = r.ev_class "
            "WHERE d.refobjid = $1 AND r.ev_class <> $1 "
            "UNION SELECT 'foreign key ' || quote_ident(k.conname) || ' on ' || c.name "
            "FROM pg_constraint k JOIN named c ON c.oid = k.conrelid "
            "WHERE k.contype = 'f' AND k.confrelid = $1 AND k.conrelid <> $1 ORDER BY 1",
            info.oid,
        )
        return rows if isinstance(rows, str) else [r[0] for r in rows]


def unquote(ident: str) -> str:
    if ident.startswith('"') and ident.endswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident


def count_text(count: int, *, capped: bool, exact: bool, noun: str) -> str:
    if capped:
        return f"≥ {count:,} {noun}"
    return f"{count:,} {noun}" + ("" if exact else " (planner estimate)")

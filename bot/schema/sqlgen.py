"""DDL text for model objects. Pure: every name goes through ``quoting``.

Only the statement text lives here; which statements a change needs, and in what
order, is the differ's and ``order.py``'s business.
"""

from __future__ import annotations

import re

from bot.schema import model as m
from bot.schema.quoting import qualified, quote_ident, quote_literal

__all__ = [
    "column_definition",
    "comment_on",
    "create_table",
    "create_sequence",
    "sequence_options",
    "create_domain",
    "create_enum",
    "create_view",
    "create_policy",
    "table_name",
    "identity_clause",
    "identity_set_options",
]


def table_name(schema: str, name: str) -> str:
    return qualified(schema, name)


def comment_on(target: str, comment: str | None) -> str:
    """``COMMENT ON <target> IS ...``; ``target`` is e.g. ``TABLE public.t``."""
    value = "NULL" if comment is None else quote_literal(comment)
    return f"COMMENT ON {target} IS {value}"


def identity_clause(col: m.Column) -> str:
    kind = "ALWAYS" if col.identity == "a" else "BY DEFAULT"
    opts = f" ({col.identity_options})" if col.identity_options else ""
    return f"GENERATED {kind} AS IDENTITY{opts}"


_OPTION = re.compile(
    r"(START WITH -?\d+|INCREMENT BY -?\d+|MINVALUE -?\d+|MAXVALUE -?\d+|CACHE \d+|NO CYCLE|CYCLE)"
)


def identity_set_options(options: str) -> str:
    """``SET START WITH 1 SET INCREMENT BY 1 ...`` from an identity option string."""
    body = options.split(" START WITH ", 1)
    rest = "START WITH " + body[1] if len(body) == 2 else options
    return " ".join(f"SET {o}" for o in _OPTION.findall(rest))


def column_definition(col: m.Column) -> str:
    parts = [quote_ident(col.name), col.data_type]
    if col.collation:
        parts.append(f"COLLATE {col.collation}")
    if col.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({col.generated}) STORED")
    elif col.default is not None:
        parts.append(f"DEFAULT {col.default}")
    if col.identity:
        parts.append(identity_clause(col))
    if col.not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def create_table(t: m.Table) -> str:
    head = "CREATE UNLOGGED TABLE" if t.unlogged else "CREATE TABLE"
    name = table_name(t.schema, t.name)
    if t.parent is not None:
        sql = f"{head} {name} PARTITION OF {table_name(*t.parent)} {t.partition_bound}"
    else:
        local = [c for c in t.columns if c.local or not t.inherits]  # the rest is inherited
        cols = ",\n".join(f"    {column_definition(c)}" for c in local)
        sql = f"{head} {name} (\n{cols}\n)" if cols else f"{head} {name} ()"
        if t.inherits:
            sql += f" INHERITS ({', '.join(table_name(*p) for p in t.inherits)})"
    if t.partition_key:
        sql += f" PARTITION BY {t.partition_key}"
    if t.options:
        sql += f" WITH ({', '.join(t.options)})"
    return sql


def sequence_options(seq: m.Sequence) -> str:
    return (
        f"AS {seq.data_type} INCREMENT BY {seq.increment} MINVALUE {seq.minvalue} "
        f"MAXVALUE {seq.maxvalue} START WITH {seq.start} CACHE {seq.cache}"
        f"{' CYCLE' if seq.cycle else ' NO CYCLE'}"
    )


def create_sequence(seq: m.Sequence) -> str:
    return f"CREATE SEQUENCE {qualified(seq.schema, seq.name)} {sequence_options(seq)}"


def create_enum(en: m.EnumType, *, name: str | None = None) -> str:
    labels = ", ".join(quote_literal(v) for v in en.labels)
    return f"CREATE TYPE {qualified(en.schema, name or en.name)} AS ENUM ({labels})"


def create_domain(d: m.Domain) -> str:
    sql = f"CREATE DOMAIN {qualified(d.schema, d.name)} AS {d.base_type}"
    if d.collation:
        sql += f" COLLATE {d.collation}"
    if d.default is not None:
        sql += f" DEFAULT {d.default}"
    if d.not_null:
        sql += " NOT NULL"
    for c in d.checks:
        sql += f" CONSTRAINT {quote_ident(c.name)} {c.definition}"
    return sql


def create_view(v: m.View) -> str:
    kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
    opts = f" WITH ({', '.join(v.options)})" if v.options else ""
    body = v.definition.strip().rstrip(";")
    return f"CREATE {kind} {qualified(v.schema, v.name)}{opts} AS\n {body}"


def create_policy(p: m.Policy) -> str:
    sql = (
        f"CREATE POLICY {quote_ident(p.name)} ON {table_name(p.schema, p.table)}"
        f" AS {'PERMISSIVE' if p.permissive else 'RESTRICTIVE'} FOR {p.command}"
        f" TO {', '.join(p.roles)}"
    )
    if p.using is not None:
        sql += f" USING ({p.using})"
    if p.with_check is not None:
        sql += f" WITH CHECK ({p.with_check})"
    return sql

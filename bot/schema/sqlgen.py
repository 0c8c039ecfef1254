"""DDL text for model objects. Pure: every name goes through ``quoting``.

Only the statement text lives here; which statements a change needs, and in what
order, is the differ's and ``order.py``'s business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
    "create_composite",
    "create_collation",
    "create_aggregate",
    "attribute_definition",
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


def attribute_definition(a: m.Attribute) -> str:
    collate = f" COLLATE {a.collation}" if a.collation else ""
    return f"{quote_ident(a.name)} {a.data_type}{collate}"


def create_composite(ct: m.CompositeType) -> str:
    attrs = ",\n".join(f"    {attribute_definition(a)}" for a in ct.attributes)
    body = f"(\n{attrs}\n)" if attrs else "()"
    return f"CREATE TYPE {qualified(ct.schema, ct.name)} AS {body}"


def create_collation(c: m.Collation) -> str:
    if c.provider == "i":
        opts = ["provider = icu", f"locale = {quote_literal(c.locale or c.lc_collate or '')}"]
        if c.rules is not None:
            opts.append(f"rules = {quote_literal(c.rules)}")
    else:
        opts = [
            "provider = libc",
            f"lc_collate = {quote_literal(c.lc_collate or '')}",
            f"lc_ctype = {quote_literal(c.lc_ctype or '')}",
        ]
    if not c.deterministic:
        opts.append("deterministic = false")
    return f"CREATE COLLATION {qualified(c.schema, c.name)} ({', '.join(opts)})"


# FINALFUNC_MODIFY letters; the default is read_only for ordinary aggregates, read_write for
# ordered-set and hypothetical-set ones (pg_dump writes the clause only when not the default).
_MODIFY = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}
_PARALLEL = {"s": "SAFE", "r": "RESTRICTED"}


def _final_options(r: Mapping[str, object], prefix: str, default_modify: str) -> list[str]:
    """FINALFUNC, FINALFUNC_EXTRA and FINALFUNC_MODIFY of the plain (``prefix`` "") or the
    moving-aggregate (``prefix`` "m") state."""
    word = prefix.upper()
    out = []
    if r[f"{prefix}finalfunc"]:
        out.append(f"{word}FINALFUNC = {r[f'{prefix}finalfunc']}")
        if r[f"{prefix}finalfunc_extra"]:
            out.append(f"{word}FINALFUNC_EXTRA")
    modify = str(r[f"{prefix}finalfunc_modify"])
    if modify != default_modify:
        out.append(f"{word}FINALFUNC_MODIFY = {_MODIFY[modify]}")
    return out


def create_aggregate(r: Mapping[str, object]) -> str:
    """``CREATE AGGREGATE`` from a row of ``sql/aggregates.sql`` (the reconstruction pg_dump
    makes): support functions are the server's regproc text, so already quoted."""
    default_modify = "r" if r["aggkind"] == "n" else "w"
    opts = [f"SFUNC = {r['sfunc']}", f"STYPE = {r['stype']}"]
    if r["sspace"]:
        opts.append(f"SSPACE = {r['sspace']}")
    opts += _final_options(r, "", default_modify)
    for key, word in (
        ("combinefunc", "COMBINEFUNC"),
        ("serialfunc", "SERIALFUNC"),
        ("deserialfunc", "DESERIALFUNC"),
    ):
        if r[key]:
            opts.append(f"{word} = {r[key]}")
    if r["initcond"] is not None:
        opts.append(f"INITCOND = {quote_literal(str(r['initcond']))}")
    if r["msfunc"]:
        opts += [
            f"MSFUNC = {r['msfunc']}",
            f"MINVFUNC = {r['minvfunc']}",
            f"MSTYPE = {r['mstype']}",
        ]
        if r["msspace"]:
            opts.append(f"MSSPACE = {r['msspace']}")
        opts += _final_options(r, "m", default_modify)
        if r["minitcond"] is not None:
            opts.append(f"MINITCOND = {quote_literal(str(r['minitcond']))}")
    if r["sortop"]:
        opts.append(f"SORTOP = {r['sortop']}")
    if r["parallel"] in _PARALLEL:
        opts.append(f"PARALLEL = {_PARALLEL[str(r['parallel'])]}")
    if r["aggkind"] == "h":
        opts.append("HYPOTHETICAL")
    args = r["arguments"] if r["nargs"] else "*"
    body = ",\n".join(f"    {o}" for o in opts)
    return f"CREATE AGGREGATE {qualified(str(r['schema']), str(r['name']))}({args}) (\n{body}\n)"

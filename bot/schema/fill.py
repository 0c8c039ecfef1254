"""Fill values: what existing rows get when a NOT NULL column without a default is added. Pure.

``ADD COLUMN c integer NOT NULL`` fails on a table that has rows. The plan adds the column
with a constant default instead (``DEFAULT 0 NOT NULL``: PostgreSQL stores the constant
once, no table rewrite) and drops the default right after, so the column ends as the
desired schema has it and only the rows that existed get the fill value. Reviewers see
the value on the card (a FILL_VALUE note) and can reject the plan and give the column a
default of their own in the desired schema.

The fill value per type is the type's "zero":

=====================================================  ===============================
numbers (smallint … double precision, numeric, money)  ``0``
strings (text, character varying, character, name)      ``''``
boolean                                                 ``false``
date / timestamp / timestamptz                          ``'epoch'`` (1970-01-01 00:00)
time / timetz                                           ``'00:00'``
interval                                                ``'0'``
uuid                                                    ``'00000000-…-000000000000'``
json / jsonb                                            ``'{}'``
any array                                               ``'{}'``
bytea, bit varying                                      ``''``
inet / cidr                                             ``'0.0.0.0'`` / ``'0.0.0.0/0'``
an enum                                                 its first label (one that exists
                                                        before the plan, when possible)
a domain                                                its base type's value (a domain
                                                        with a default needs no fill)
=====================================================  ===============================

Other types (bit(n), geometric, range, extension and composite types) have no fill value:
the column is added as written, and the note says the statement fails if there are rows.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.schema import model as m
from bot.schema.casts import base_name
from bot.schema.ops import Note, NoteCode
from bot.schema.quoting import qualified, quote_literal

__all__ = ["DOMAIN_DEFAULT", "fill_for", "fill_note", "fill_value"]

DOMAIN_DEFAULT = "DEFAULT"  # the domain's own default fills the rows: nothing to add

_ZERO = "0"
_FILLS: dict[str, str] = {
    **dict.fromkeys(
        ("smallint", "integer", "bigint", "numeric", "real", "double precision", "money"), _ZERO
    ),
    **dict.fromkeys(("text", "character varying", "character", "name", "bytea"), "''"),
    "bit varying": "''",
    "boolean": "false",
    **dict.fromkeys(("date", "timestamp without time zone", "timestamp with time zone"), "'epoch'"),
    **dict.fromkeys(("time without time zone", "time with time zone"), "'00:00'"),
    "interval": "'0'",
    "uuid": "'00000000-0000-0000-0000-000000000000'",
    **dict.fromkeys(("json", "jsonb"), "'{}'"),
    "inet": "'0.0.0.0'",
    "cidr": "'0.0.0.0/0'",
}


def fill_value(
    data_type: str,
    *,
    enums: Mapping[str, m.EnumType],
    domains: Mapping[str, m.Domain],
    existing_labels: Mapping[str, tuple[str, ...]] | None = None,
) -> str | None:
    """SQL of the fill value for ``data_type`` (format_type text), ``DOMAIN_DEFAULT`` when
    the type is a domain with a default, None when there is none. ``enums`` and ``domains``
    are keyed by qualified name; ``existing_labels`` are the enum labels before the plan
    (a label added by the plan cannot be used in the same transaction)."""
    if data_type.endswith("[]"):
        return "'{}'"
    for _ in range(len(domains) + 1):
        domain = domains.get(data_type)
        if domain is None:
            break
        if domain.default is not None:
            return DOMAIN_DEFAULT
        data_type = domain.base_type
        if data_type.endswith("[]"):
            return "'{}'"
    enum = enums.get(data_type)
    if enum is not None:
        old = (existing_labels or {}).get(data_type, ())
        usable = [label for label in enum.labels if label in old] or list(enum.labels)
        return quote_literal(usable[0]) if usable else None
    return _FILLS.get(base_name(data_type))


def fill_for(col: m.Column, *, old: m.Schema, new: m.Schema) -> str | None:
    """``fill_value`` for a column of the ``new`` schema added to a database at ``old``."""
    return fill_value(
        col.data_type,
        enums={qualified(e.schema, e.name): e for e in new.enums.values()},
        domains={qualified(d.schema, d.name): d for d in new.domains.values()},
        existing_labels={qualified(e.schema, e.name): e.labels for e in old.enums.values()},
    )


def fill_note(col: str, table: str, data_type: str, fill: str | None) -> Note:
    """The reviewer's FILL_VALUE note (``value`` None: no fill value is known)."""
    if fill is None:
        message = (
            f"{col} is added NOT NULL without a default and no fill value is known for "
            f"{data_type}: the statement fails if {table} has rows"
        )
    else:
        message = (
            f"{col} is added NOT NULL without a default: existing rows of {table} get the "
            f"fill value {fill} (the default is dropped right after)"
        )
    return Note(NoteCode.FILL_VALUE, col, message, table=table, value=fill)

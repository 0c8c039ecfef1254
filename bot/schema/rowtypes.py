"""Columns whose type is a table's row type (``corner point_t``, ``corners point_t[]``).

PostgreSQL stores such values with the table's layout, so while one exists it refuses to
drop the table or retype one of its columns ("cannot alter table … because column …
uses its row type"). The differ therefore rebuilds such a column (drop, then add again:
its values are lost, and the review says so) when the plan re-creates, drops or retypes
the table underneath, and adds or creates a column of a row type only after every
statement that shapes that table's columns.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.schema import model as m
from bot.schema.changeset import ChangeSet
from bot.schema.model import Key
from bot.schema.ops import Note, NoteCode
from bot.schema.quoting import qualified

__all__ = ["classify_row_type_columns", "row_type_note", "row_type_requires"]


def _row_types(schema: m.Schema, ckey: Key) -> list[Key]:
    """Tables whose row type column ``ckey`` has (its dependencies on other tables)."""
    own = ("table", ckey[1], ckey[2])
    return [k for k in schema.depends_on.get(ckey, ()) if k[0] == "table" and k != own]


def classify_row_type_columns(cs: ChangeSet) -> None:
    """Mark kept columns of a row type whose table the plan rebuilds or retypes as replaced."""
    changed = {k for k in cs.old.tables if cs.gone(k)}
    changed |= {("table", k[1], k[2]) for k in cs.retyped | cs.replaced if k[0] == "column"}
    for tkey in sorted(changed):
        for ckey in cs.rev_old.get(tkey, ()):
            if ckey[0] != "column" or ckey[1:3] == tkey[1:3]:
                continue
            table = ("table", ckey[1], ckey[2])
            if cs.gone(table) or cs.gone(ckey) or table not in cs.new.tables:
                continue
            if _data_type(cs.old, ckey) == _data_type(cs.new, ckey):
                cs.retyped.discard(ckey)
                cs.replaced.add(ckey)


def _data_type(schema: m.Schema, ckey: Key) -> str | None:
    table = schema.tables[("table", ckey[1], ckey[2])]
    return next((c.data_type for c in table.columns if c.name == ckey[3]), None)


def row_type_note(cs: ChangeSet, ckey: Key, obj: str, table: str) -> tuple[Note, ...]:
    """Why a column kept with its type is dropped and added again, when a row type is why."""
    rels = _row_types(cs.old, ckey)
    if not rels:
        return ()
    names = ", ".join(qualified(k[1], k[2]) for k in rels)
    message = (
        f"{obj}: its type is the row type of {names}, which this plan rebuilds or retypes, "
        "so the column is dropped and added again: every value it holds is lost"
    )
    return (Note(NoteCode.COLUMN_REBUILT, obj, message, table=table),)


def row_type_requires(cs: ChangeSet, ckeys: Iterable[Key]) -> frozenset[Key]:
    """Column keys of the tables whose row types the columns ``ckeys`` have (new schema): a
    statement creating such a column runs after every statement creating or retyping those."""
    out: set[Key] = set()
    for ckey in ckeys:
        for rel in _row_types(cs.new, ckey):
            table = cs.new.tables.get(rel)
            if table is not None:
                out.update(("column", *rel[1:], c.name) for c in table.columns)
    return frozenset(out)

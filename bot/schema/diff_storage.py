"""Differ for physical table properties the server keeps per column and per table:
column ``SET STATISTICS``, ``SET STORAGE`` and ``SET COMPRESSION``, and ``REPLICA IDENTITY``.

Each is compared against the column's *start state* (``inherit.start_state``): what the
column looks like after the plan's own ``CREATE TABLE``/``ADD COLUMN``/``TYPE`` and the
parents' recursing statements. That matters because ``ALTER … TYPE`` resets storage and
compression to the new type's, ``PARTITION OF`` copies the parent's storage and
compression but not its statistics target, and a parent's ``SET STATISTICS`` / ``SET
STORAGE`` reach its children while ``SET COMPRESSION`` does not.

``REPLICA IDENTITY USING INDEX`` names an index, so it runs after that index exists, and
is issued again whenever the plan re-creates the index (dropping the index loses it).
"""

from __future__ import annotations

from dataclasses import replace

from bot.schema import model as m
from bot.schema.changeset import ChangeSet
from bot.schema.inherit import start_state
from bot.schema.model import Key
from bot.schema.ops import Statement
from bot.schema.quoting import qualified, quote_ident

__all__ = ["emit_storage"]

_REPLICA = {"d": "DEFAULT", "f": "FULL", "n": "NOTHING"}


def emit_storage(cs: ChangeSet) -> None:
    for key, t in sorted(cs.new.tables.items()):
        old = cs.old.tables.get(key)
        if old is not None and cs.gone(key):
            old = None
        start_columns = start_state(cs, old, t).columns
        if old is not None and start_columns == t.columns and not cs.columns_replaced(t):
            _replica_identity(cs, old, t)
            continue  # every column already as desired
        start = {c.name: c for c in start_columns}
        for c in t.columns:
            ckey: Key = ("column", t.schema, t.name, c.name)
            base = start.get(c.name)
            if base is None or ckey in cs.replaced:  # added by this plan: the defaults
                base = replace(c, statistics=None, storage=None, compression=None)
            elif (base.data_type, base.collation) != (c.data_type, c.collation):
                # ALTER … TYPE gives the new type's storage and no compression
                base = replace(base, storage=None, compression=None)
            _column_properties(cs, t, ckey, base, c)
        _replica_identity(cs, old, t)


def _column_properties(cs: ChangeSet, t: m.Table, ckey: Key, base: m.Column, c: m.Column) -> None:
    table = qualified(t.schema, t.name)
    col = quote_ident(c.name)
    prefix = f"ALTER TABLE {table} ALTER COLUMN {col}"
    steps: list[str] = []
    if base.statistics != c.statistics:
        steps.append(f"SET STATISTICS {-1 if c.statistics is None else c.statistics}")
    if base.storage != c.storage:
        storage = c.storage or base.type_storage or c.type_storage
        if storage:
            steps.append(f"SET STORAGE {storage}")
    if base.compression != c.compression:
        steps.append(f"SET COMPRESSION {c.compression or 'default'}")
    needs = frozenset({ckey})
    for step in steps:
        cs.add(Statement(f"{prefix} {step}", f"{table}.{col}", "alter_column", requires=needs))


def _replica_identity(cs: ChangeSet, old: m.Table | None, t: m.Table) -> None:
    before = ("d", None) if old is None else (old.replica_identity, old.replica_index)
    after = (t.replica_identity, t.replica_index)
    index_key: Key = ("rel", t.schema, t.replica_index or "")
    rebuilt = t.replica_identity == "i" and any(index_key in st.creates for st in cs.statements)
    if before == after and not rebuilt:
        return
    table = qualified(t.schema, t.name)
    if t.replica_identity == "i" and t.replica_index:
        what = f"USING INDEX {quote_ident(t.replica_index)}"
        requires = frozenset({t.key, index_key})
    else:
        what = _REPLICA.get(t.replica_identity, "DEFAULT")
        requires = frozenset({t.key})
    cs.add(
        Statement(
            f"ALTER TABLE {table} REPLICA IDENTITY {what}",
            table,
            "alter_replica_identity",
            requires=requires,
        )
    )

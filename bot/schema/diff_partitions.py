"""Differ for indexes of partitioned tables, and for invalid indexes.

A partitioned index owns one index per partition ("attached"). Such an index cannot be
dropped by itself (dropping the partitioned index drops it) and ``CREATE INDEX … ON
parent`` names the partitions' indexes itself. So a partitioned index the plan creates is
built the way ``pg_dump`` restores one: ``CREATE INDEX … ON ONLY parent`` (after the
plan's new partitions exist, so none is cloned with a generated name), each partition's
index under its own name, then ``ALTER INDEX … ATTACH PARTITION``. The parent index is
valid once every partition has one attached; one that TO leaves invalid stays so.

Under a partitioned index the plan keeps: an existing index of a partition is attached; a
missing one is created then attached; one attached under another name is renamed; a new
partition gets its index from ``PARTITION OF`` and is renamed when TO names it otherwise.

An invalid index (``indisvalid = false``, e.g. a failed ``CREATE INDEX CONCURRENTLY``) is
drift: it is dropped and built again, never taken as equal to a valid one.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bot.schema import model as m
from bot.schema.changeset import ChangeSet
from bot.schema.model import Key
from bot.schema.ops import Statement
from bot.schema.quoting import qualified, quote_ident

__all__ = ["attaches_partitions", "classify_partition_indexes", "emit_partition_indexes"]

_MAX_NAME = 63
_KEYS = re.compile(r" USING \w+ \((.*)\)")


def attaches_partitions(cs: ChangeSet, index: m.Index) -> bool:
    """True for a partitioned index; the plan builds it here rather than with ``ON parent``."""
    return " ON ONLY " in index.definition and ("table", index.schema, index.table) in cs.new.tables


def classify_partition_indexes(cs: ChangeSet) -> None:
    for key, i in sorted(cs.old.indexes.items()):
        new = cs.new.indexes.get(key)
        if new is not None and not i.valid and new.valid and " ON ONLY " not in i.definition:
            cs.replaced.add(key)  # a half-built index: build it again
    changed = True
    while changed:  # an attached index goes with the partitioned index above it
        changed = False
        for key, i in sorted(cs.old.indexes.items()):
            if i.parent_index and cs.gone(("index", *i.parent_index)) and not cs.gone(key):
                (cs.replaced if key in cs.new.indexes else cs.removed).add(key)
                changed = True


def emit_partition_indexes(cs: ChangeSet) -> None:
    droppers: dict[Key, list[int]] = defaultdict(list)
    for n, st in enumerate(cs.statements):
        for k in st.drops:
            droppers[k].append(n)
    renamed = _renames(cs, droppers)
    for key, i in sorted(cs.new.indexes.items()):
        fresh = key not in cs.old.indexes or cs.gone(key)
        if not i.parent_index and fresh and attaches_partitions(cs, i):
            name = qualified(i.schema, i.name)
            keys = frozenset({key, ("rel", i.schema, i.name)})
            cs.add(Statement(i.definition, name, "create_index", creates=keys))
        if not i.parent_index or key in renamed:
            continue
        parent_key: Key = ("index", *i.parent_index)
        old = cs.old.indexes.get(key)
        exists = old is not None and not cs.gone(key)
        parent_fresh = parent_key not in cs.old.indexes or cs.gone(parent_key)
        table_fresh = ("table", i.schema, i.table) not in cs.old.tables or cs.gone(
            ("table", i.schema, i.table)
        )
        if not parent_fresh and table_fresh:
            _rename_clone(cs, i)  # PARTITION OF cloned the kept parent index
            continue
        if not exists:
            n = cs.add(
                Statement(
                    i.definition,
                    qualified(i.schema, i.name),
                    "create_index",
                    creates=frozenset({key, ("rel", i.schema, i.name)}),
                )
            )
            for ancestor in _ancestor_indexes(cs, i):  # the old copy goes with its parent
                cs.edges.extend((d, n) for d in droppers.get(ancestor, ()))
        if old is None or old.parent_index != i.parent_index or not exists:
            _attach(cs, i)
    _new_partitions_first(cs)


def _ancestor_indexes(cs: ChangeSet, i: m.Index) -> list[Key]:
    out: list[Key] = [("index", i.schema, i.name)]
    current = cs.old.indexes.get(out[0])
    while current is not None and current.parent_index:
        out.append(("index", *current.parent_index))
        current = cs.old.indexes.get(out[-1])
    return out


def _attach(cs: ChangeSet, i: m.Index) -> None:
    assert i.parent_index is not None
    parent = qualified(*i.parent_index)
    cs.add(
        Statement(
            f"ALTER INDEX {parent} ATTACH PARTITION {qualified(i.schema, i.name)}",
            parent,
            "attach_index",
            requires=frozenset(
                {
                    ("index", *i.parent_index),
                    ("index", i.schema, i.name),
                    ("table", i.schema, i.table),
                }
            ),
        )
    )


def _renames(cs: ChangeSet, droppers: dict[Key, list[int]]) -> set[Key]:
    """An attached index TO names otherwise (same partition, same parent): rename it."""
    gone = {
        (i.schema, i.table, i.parent_index): key
        for key, i in cs.old.indexes.items()
        if i.parent_index
        and key not in cs.new.indexes
        and not cs.gone(("index", *i.parent_index))
        and not cs.table_gone(i.schema, i.table)
    }
    done: set[Key] = set()
    for key, i in sorted(cs.new.indexes.items()):
        old_key = gone.get((i.schema, i.table, i.parent_index))
        if old_key is None or key in cs.old.indexes:
            continue
        cs.add(
            Statement(
                f"ALTER INDEX {qualified(*old_key[1:])} RENAME TO {quote_ident(i.name)}",
                qualified(i.schema, i.name),
                "rename_index",
                drops=frozenset({old_key, ("rel", *old_key[1:])}),
                creates=frozenset({key, ("rel", i.schema, i.name)}),
            )
        )
        done.add(key)
    return done


def _rename_clone(cs: ChangeSet, i: m.Index) -> None:
    """``PARTITION OF`` gave the new partition an index named ``<table>_<columns>_idx``."""
    generated = _generated_name(i)
    if generated is None:
        cs.warnings.append(
            f"index {qualified(i.schema, i.name)}: the name PostgreSQL gives the new partition's "
            "copy of its parent index cannot be predicted; it is not renamed"
        )
        return
    if generated == i.name:
        return
    cs.add(
        Statement(
            f"ALTER INDEX {qualified(i.schema, generated)} RENAME TO {quote_ident(i.name)}",
            qualified(i.schema, i.name),
            "rename_index",
            requires=frozenset({("table", i.schema, i.table)}),
            creates=frozenset({("index", i.schema, i.name), ("rel", i.schema, i.name)}),
        )
    )


def _generated_name(i: m.Index) -> str | None:
    match = _KEYS.search(i.definition)
    if match is None or " WHERE " in i.definition or " INCLUDE " in i.definition:
        return None
    columns = []
    for part in match.group(1).split(", "):
        token = part.split(" ", 1)[0]
        if not re.fullmatch(r"[a-z_][a-z0-9_$]*", token):
            return None  # an expression or a quoted name: the server's rules get subtle
        columns.append(token)
    name = f"{i.table}_{'_'.join(columns)}_idx"
    return name if len(name) <= _MAX_NAME else None


def _new_partitions_first(cs: ChangeSet) -> None:
    """New partitions are created before a new partitioned index ``ON ONLY`` their parent,
    or ``PARTITION OF`` would clone it under a generated name."""
    creators: dict[str, list[int]] = defaultdict(list)
    for n, st in enumerate(cs.statements):
        if st.operation == "create_table":
            creators[st.object].append(n)
    for n, st in enumerate(cs.statements):
        if st.operation != "create_index" or " ON ONLY " not in st.sql:
            continue
        index = cs.new.indexes.get(next(k for k in st.creates if k[0] == "index"))
        if index is None:
            continue
        for t in cs.new.tables.values():
            if t.parent == (index.schema, index.table):
                cs.edges.extend((c, n) for c in creators.get(qualified(t.schema, t.name), ()))

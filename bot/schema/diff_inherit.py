"""Differ for table inheritance and for the order of parent and child column statements.

``INHERITS`` parents added to or removed from an existing table become ``ALTER TABLE …
INHERIT`` / ``NO INHERIT``. Columns a child only inherits are never added to or dropped
from the child itself: the parent's statement recurses (see ``inherit.py``). What makes
that safe is order, so this module adds the edges:

- a child's column statements (and its ``CREATE TABLE … PARTITION OF`` / ``INHERITS``)
  run after its ancestors' column statements, so they start from the state the parents
  left;
- ``NO INHERIT`` runs before the parent's column statements (they must no longer
  recurse into the child), before the child's own and before the parent is dropped;
- ``INHERIT`` runs after both sides' column statements (the child must already have
  every column of the parent).

A column the child declares in FROM but only inherits in TO cannot be turned back into
an inherited-only one without rebuilding the table; it is left declared and named in a
warning.
"""

from __future__ import annotations

from collections import defaultdict

from bot.schema import model as m
from bot.schema.changeset import ChangeSet
from bot.schema.inherit import kept_parents, reinherited, start_state
from bot.schema.ops import Statement
from bot.schema.quoting import qualified, quote_ident

__all__ = ["classify_children", "emit_inheritance"]

# Statements that change a table's columns (and so recurse to children).
COLUMN_OPS = frozenset(
    {"add_column", "alter_column", "set_default", "drop_default", "drop_column", "comment"}
)


def classify_children(cs: ChangeSet) -> None:
    """A column the parent retypes or drops is retyped or dropped in every child that
    inherits it, so whatever depends on the child's column is rebuilt too."""
    changed = True
    while changed:
        changed = False
        for key, t in sorted(cs.old.tables.items()):
            new = cs.new.tables.get(key)
            if new is None or cs.gone(key):
                continue
            for parent in kept_parents(cs, t, new):
                for c in t.columns:
                    pkey = ("column", parent.schema, parent.name, c.name)
                    ckey = ("column", t.schema, t.name, c.name)
                    # a declared column survives the parent's DROP COLUMN; any is retyped
                    declared = c.local and not t.parent
                    for bucket in (cs.retyped,) if declared else (cs.retyped, cs.removed):
                        if pkey in bucket and ckey not in bucket:
                            bucket.add(ckey)
                            changed = True


def emit_inheritance(cs: ChangeSet) -> None:
    by_object: dict[str, list[int]] = defaultdict(list)
    for i, st in enumerate(cs.statements):
        by_object[st.object].append(i)
    for key, t in sorted(cs.new.tables.items()):
        old = cs.old.tables.get(key)
        if old is not None and cs.gone(key):
            old = None
        _order_after_ancestors(cs, by_object, old, t)
        if old is not None and (old.inherits or t.inherits):
            _relink(cs, by_object, old, t)


def _ancestors(cs: ChangeSet, old: m.Table | None, t: m.Table) -> list[m.Table]:
    out: list[m.Table] = []
    todo = kept_parents(cs, old, t)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        todo += kept_parents(cs, cs.old.tables.get(p.key), p)
    return out


def _column_statements(
    by_object: dict[str, list[int]], cs: ChangeSet, t: m.Table, names: set[str]
) -> dict[str, list[int]]:
    table = qualified(t.schema, t.name)
    out = {}
    for name in names:
        found = [
            i
            for i in by_object.get(f"{table}.{quote_ident(name)}", ())
            if cs.statements[i].operation in COLUMN_OPS
        ]
        if found:
            out[name] = found
    return out


def _order_after_ancestors(
    cs: ChangeSet, by_object: dict[str, list[int]], old: m.Table | None, t: m.Table
) -> None:
    ancestors = _ancestors(cs, old, t)
    if not ancestors:
        return
    names = {c.name for c in t.columns} | {c.name for c in (old.columns if old else ())}
    mine = _column_statements(by_object, cs, t, names)
    created = [
        i
        for i in by_object.get(qualified(t.schema, t.name), ())
        if cs.statements[i].operation == "create_table"
    ]
    for parent in ancestors:
        pnames = {c.name for c in parent.columns}
        old_parent = cs.old.tables.get(parent.key)
        pnames |= {c.name for c in (old_parent.columns if old_parent else ())}
        for name, before in _column_statements(by_object, cs, parent, pnames).items():
            after = mine.get(name, []) + created
            cs.edges.extend((b, a) for b in before for a in after)


def _relink(cs: ChangeSet, by_object: dict[str, list[int]], old: m.Table, t: m.Table) -> None:
    again = reinherited(old, t)
    gone = {p for p in old.inherits if cs.gone(("table", *p))}
    detach = [p for p in old.inherits if p not in t.inherits or p in again or p in gone]
    attach = [p for p in t.inherits if p not in old.inherits or p in again or p in gone]
    name = qualified(t.schema, t.name)
    names = {c.name for c in t.columns} | {c.name for c in old.columns}
    mine = [i for ids in _column_statements(by_object, cs, t, names).values() for i in ids]
    for parent in detach:
        pname = qualified(*parent)
        i = cs.add(Statement(f"ALTER TABLE {name} NO INHERIT {pname}", name, "drop_inherit"))
        theirs = _parent_statements(cs, by_object, parent)
        drops = [j for j in by_object.get(pname, ()) if cs.statements[j].operation == "drop_table"]
        cs.edges.extend((i, j) for j in theirs + mine + drops)
    previous: int | None = None
    for parent in attach:
        pname = qualified(*parent)
        i = cs.add(
            Statement(
                f"ALTER TABLE {name} INHERIT {pname}",
                name,
                "add_inherit",
                requires=frozenset({("table", *parent), t.key}),
            )
        )
        theirs = _parent_statements(cs, by_object, parent)
        cs.edges.extend((j, i) for j in theirs + mine)
        if previous is not None:
            cs.edges.append((previous, i))  # INHERIT appends: keep the parents' order
        previous = i
    _warn_declared(cs, old, t, detached=set(detach))


def _parent_statements(
    cs: ChangeSet, by_object: dict[str, list[int]], parent: tuple[str, str]
) -> list[int]:
    table = cs.new.tables.get(("table", *parent)) or cs.old.tables.get(("table", *parent))
    if table is None:
        return []
    names = {c.name for c in table.columns}
    old = cs.old.tables.get(("table", *parent))
    names |= {c.name for c in (old.columns if old else ())}
    return [i for ids in _column_statements(by_object, cs, table, names).values() for i in ids]


def _warn_declared(
    cs: ChangeSet, old: m.Table, t: m.Table, *, detached: set[tuple[str, str]]
) -> None:
    start = {c.name: c for c in start_state(cs, old, t).columns}
    # NO INHERIT makes every column the child inherited from that parent its own
    freed = {
        c.name
        for p in detached
        if (parent := cs.old.tables.get(("table", *p))) is not None
        for c in parent.columns
    }
    for c in t.columns:
        sc = start.get(c.name)
        declared = sc is None or sc.local or c.name in freed
        if not c.local and declared and t.inherits:
            col = f"{qualified(t.schema, t.name)}.{quote_ident(c.name)}"
            cs.warnings.append(
                f"column {col} stays declared by the table itself (TO only inherits it): "
                "PostgreSQL cannot make a declared column inherited-only without rebuilding "
                "the table"
            )
            cs.unplan("column", col, "declared by the table in FROM, only inherited in TO")

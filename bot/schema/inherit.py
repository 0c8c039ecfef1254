"""What a child table's columns look like once its parents' statements have run. Pure.

Most column-level ``ALTER TABLE`` forms recurse from a parent (partitioned or plain
inheritance) to its children: ``ADD``/``DROP COLUMN``, ``TYPE``, ``SET``/``DROP DEFAULT``,
``SET``/``DROP NOT NULL``, ``SET STATISTICS`` and ``SET STORAGE`` (``SET COMPRESSION``
does not). ``CREATE TABLE … PARTITION OF`` / ``INHERITS`` copy the parent's columns
as they are at that moment. So a child's own statements must be computed against that
*start state*, not against the child as it was, or the plan would re-add a column the
parent already added, retype a column the child may not retype, or leave a child's own
default overwritten by the parent's. ``diff_inherit`` orders the child's statements after
the parent's so that the start state is what the server really has.
"""

from __future__ import annotations

from dataclasses import replace

from bot.schema import model as m
from bot.schema.changeset import ChangeSet

__all__ = ["kept_parents", "reinherited", "start_state"]


def kept_parents(cs: ChangeSet, old: m.Table | None, new: m.Table) -> list[m.Table]:
    """Parents (partition parent or INHERITS) the child has before and after, in new form."""
    if old is None:
        names = [new.parent] if new.parent else list(new.inherits)
    else:
        names = [new.parent] if new.parent and new.parent == old.parent else []
        again = reinherited(old, new)
        names += [
            p
            for p in new.inherits
            if p in old.inherits and p not in again and not cs.gone(("table", *p))
        ]
    out = []
    for s, n in names:
        parent = cs.new.tables.get(("table", s, n))
        if parent is not None:
            out.append(parent)
    return out


def reinherited(old: m.Table, new: m.Table) -> set[tuple[str, str]]:
    """Kept INHERITS parents to detach and attach again: when a column the child only
    inherited is declared by the child itself in ``new`` (``NO INHERIT`` makes inherited
    columns the child's own, ``INHERIT`` links them back, still declared), or when the
    parents' order changes (``INHERIT`` appends)."""
    if not old.inherits:
        return set()
    kept = [p for p in old.inherits if p in new.inherits]
    inherited_only = {c.name for c in old.columns if not c.local}
    declared = {c.name for c in new.columns if c.local} & inherited_only
    # INHERIT appends: kept parents followed by the added ones must give the new order
    order = kept + [p for p in new.inherits if p not in old.inherits]
    return set(kept) if declared or order != list(new.inherits) else set()


def start_state(cs: ChangeSet, old: m.Table | None, new: m.Table) -> m.Table:
    """``old`` (or, for a table the plan creates, the table as created) after the parents'
    recursing statements: the state the child's own statements are computed against."""
    parents = kept_parents(cs, old, new)
    if old is None:
        return replace(new, columns=tuple(_created(new, parents)))
    if not parents:
        return old
    return replace(old, columns=tuple(_after_parents(cs, old, parents)))


def _parent_column(parents: list[m.Table], name: str) -> tuple[m.Table, m.Column] | None:
    for p in parents:
        for c in p.columns:
            if c.name == name:
                return p, c
    return None


def _created(new: m.Table, parents: list[m.Table]) -> list[m.Column]:
    """Columns right after ``CREATE TABLE … PARTITION OF`` / ``… INHERITS``."""
    out = []
    for c in new.columns:
        found = _parent_column(parents, c.name)
        if found is None:  # a column of the child's own
            out.append(replace(c, statistics=None, storage=None, compression=None))
            continue
        pc = found[1]
        inherited = replace(
            pc,
            local=False,
            statistics=None,
            comment=None if new.parent else c.comment,  # INHERITS children get COMMENT ON
        )
        if new.inherits and c.local:  # declared again in CREATE TABLE: merged with the parent's
            inherited = replace(
                inherited,
                local=True,
                not_null=c.not_null or pc.not_null,
                default=c.default if c.default is not None else pc.default,
                compression=None,
            )
        out.append(inherited)
    return out


def _after_parents(cs: ChangeSet, old: m.Table, parents: list[m.Table]) -> list[m.Column]:
    out = []
    names = set()
    for oc in old.columns:
        names.add(oc.name)
        found = _parent_column(parents, oc.name)
        if found is None:
            found = _old_parent_column(cs, old, parents, oc.name)
            if found is None:
                out.append(oc)
                continue
        parent, pn = found
        pkey = ("column", parent.schema, parent.name, oc.name)
        po = _old_column(cs, parent, oc.name)
        if pn is None or pkey in cs.replaced or cs.gone(("table", parent.schema, parent.name)):
            if oc.local:  # the parent's DROP COLUMN leaves a column the child declared itself
                out.append(oc)
            continue
        col = oc
        if po is None:  # the parent adds a column the child already has: merged
            out.append(col)
            continue
        if pkey in cs.retyped:
            col = replace(
                col, data_type=pn.data_type, collation=pn.collation, storage=None, compression=None
            )
        if po.not_null != pn.not_null:
            col = replace(col, not_null=pn.not_null)
        if po.default != pn.default:
            col = replace(col, default=pn.default)
        if po.statistics != pn.statistics:
            col = replace(col, statistics=pn.statistics)
        if po.storage != pn.storage or pkey in cs.retyped:
            col = replace(col, storage=pn.storage, type_storage=pn.type_storage)
        out.append(col)
    for parent in parents:
        for pc in parent.columns:
            pkey = ("column", parent.schema, parent.name, pc.name)
            added = _old_column(cs, parent, pc.name) is None or pkey in cs.replaced
            if added and (pc.name not in names or _dropped_by_parent(out, pc.name)):
                names.add(pc.name)
                out = [c for c in out if c.name != pc.name]
                out.append(
                    replace(pc, local=False, comment=None, statistics=None, compression=None)
                )
    return out


def _dropped_by_parent(columns: list[m.Column], name: str) -> bool:
    return not any(c.name == name for c in columns)


def _old_column(cs: ChangeSet, parent: m.Table, name: str) -> m.Column | None:
    old_parent = cs.old.tables.get(parent.key)
    if old_parent is None or cs.gone(parent.key):
        return None
    return next((c for c in old_parent.columns if c.name == name), None)


def _old_parent_column(
    cs: ChangeSet, old: m.Table, parents: list[m.Table], name: str
) -> tuple[m.Table, None] | None:
    """A kept parent that had ``name`` before and no longer has it (the parent drops it)."""
    for parent in parents:
        if _old_column(cs, parent, name) is not None:
            return parent, None
    return None

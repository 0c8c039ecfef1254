"""``diff_schemas(old, new) -> Plan``: the SQL that turns ``old`` into ``new``.

Comparison is set algebra over object keys (dict lookups, so near-linear in the
size of the schemas). Two passes over the object kinds: classify (what is removed,
replaced, retyped; then the dependency cascade), and emit statements. ``order.py``
puts the statements in dependency order. Kinds the engine does not model are named
in ``Plan.warnings``; nothing is skipped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.schema import model as m
from bot.schema.changeset import ChangeSet
from bot.schema.diff_composites import classify_composites, emit_composites
from bot.schema.diff_inherit import classify_children, emit_inheritance
from bot.schema.diff_objects import classify_objects, emit_objects
from bot.schema.diff_partitions import classify_partition_indexes, emit_partition_indexes
from bot.schema.diff_storage import emit_storage
from bot.schema.diff_tables import classify_tables, emit_tables
from bot.schema.diff_types import (
    classify_owned_sequences,
    classify_swapped_columns,
    classify_types,
    emit_types,
)
from bot.schema.gcpause import without_cyclic_gc
from bot.schema.model import Key
from bot.schema.ops import Plan, Statement
from bot.schema.order import order_statements
from bot.schema.rowtypes import classify_row_type_columns

__all__ = ["diff_schemas"]

log = logging.getLogger(__name__)


@without_cyclic_gc
def diff_schemas(old: m.Schema, new: m.Schema) -> Plan:
    """Statements that make a database with schema ``old`` have schema ``new``."""
    cs = ChangeSet(old, new)
    classify_types(cs)
    classify_tables(cs)
    classify_composites(cs)
    classify_children(cs)
    classify_objects(cs)
    classify_partition_indexes(cs)
    classify_owned_sequences(cs)
    classify_swapped_columns(cs)
    classify_row_type_columns(cs)
    cs.cascade()
    emit_types(cs)
    emit_composites(cs)
    emit_tables(cs)
    emit_objects(cs)
    emit_partition_indexes(cs)
    emit_storage(cs)
    emit_inheritance(cs)
    ordered = order_statements(
        cs.statements, old_deps=_old_deps(cs), new_deps=new.depends_on, edges=cs.edges
    )
    if any(st.operation in ("create_function", "replace_function") for st in ordered):
        # Bodies of SQL functions are checked at creation time; tables they read may come
        # later in the plan (pg_dump sets the same).
        ordered.insert(
            0,
            Statement("SET check_function_bodies = off", "check_function_bodies", "set_option"),
        )
    plan = Plan(
        statements=ordered,
        warnings=cs.warnings + _unsupported_warnings(old, new),
        unplanned=[str(u) for u in cs.unplanned] + _unplanned(old, new),
    )
    log.debug("diff: %d statement(s), %d warning(s)", len(plan.statements), len(plan.warnings))
    return plan


def _old_deps(cs: ChangeSet) -> Mapping[Key, tuple[Key, ...]]:
    """Old dependencies, plus: whatever used a swapped enum goes before the old copy's drop."""
    if not cs.swapped:
        return cs.old.depends_on
    deps = dict(cs.old.depends_on)
    for key in cs.swapped:
        for dep in cs.rev_old.get(key, ()):
            deps[dep] = (*deps[dep], ("oldtype", *key[1:]))
    return deps


def _unplanned(old: m.Schema, new: m.Schema) -> list[str]:
    """Unsupported objects on one side only (a changed one is on both sides, each with its own
    signature): the difference the plan cannot make."""
    a, b = set(old.unsupported), set(new.unsupported)
    return [
        f"{obj.kind} {obj.identity} (only in {'FROM' if obj in a else 'TO'})"
        for obj in sorted(a ^ b, key=lambda u: (u.kind, u.identity, u.signature))
    ]


def _unsupported_warnings(old: m.Schema, new: m.Schema) -> list[str]:
    a, b = set(old.unsupported), set(new.unsupported)
    out = []
    for obj in sorted(a | b, key=lambda u: (u.kind, u.identity, u.signature)):
        if obj in a and obj in b:
            where = "present in both, not compared"
        elif obj in a:
            where = "only in FROM, not dropped"
        else:
            where = "only in TO, not created"
        out.append(f"unsupported object kind {obj.kind}: {obj.identity} ({where})")
    return out

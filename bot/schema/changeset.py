"""Shared state of one diff: what is removed, replaced or retyped, and the statements so far.

The differ works in two passes. First each kind records which of its objects go
away or must be dropped and recreated; then ``cascade`` walks the old schema's
dependency graph so anything built on top of a replaced object (a view on a retyped
column, a foreign key to a rebuilt key, a trigger on a recreated function) is
replaced too. Second, each kind emits statements into the same ChangeSet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from bot.schema import model as m
from bot.schema import sqlgen
from bot.schema.model import Key
from bot.schema.ops import Statement, Unplanned
from bot.schema.quoting import qualified

__all__ = ["ChangeSet", "RECREATABLE", "get_object", "reverse_graph"]

# Kinds the differ may drop and recreate to get something underneath them changed.
RECREATABLE = frozenset({"view", "index", "constraint", "trigger", "policy", "function", "default"})
# A retyped column only breaks these (PostgreSQL rebuilds indexes and constraints itself).
RETYPE_BREAKS = frozenset({"view", "trigger", "policy", "default"})


def reverse_graph(deps: Mapping[Key, tuple[Key, ...]]) -> dict[Key, list[Key]]:
    rev: dict[Key, list[Key]] = defaultdict(list)
    for key in sorted(deps):
        for ref in deps[key]:
            rev[ref].append(key)
    return rev


def get_object(schema: m.Schema, key: Key) -> object | None:
    """The model object (or default expression) behind ``key``, if the schema has it."""
    kind = key[0]
    if kind == "default":
        table = schema.tables.get(("table", key[1], key[2]))
        if table is None:
            return None
        for col in table.columns:
            if col.name == key[3]:
                return col.default
        return None
    coll: Mapping[Key, object] | None = {
        "constraint": schema.constraints,
        "index": schema.indexes,
        "view": schema.views,
        "function": schema.functions,
        "trigger": schema.triggers,
        "policy": schema.policies,
        "table": schema.tables,
        "sequence": schema.sequences,
        "type": {**schema.enums, **schema.domains, **schema.composites} if kind == "type" else None,
        "collation": schema.collations,
    }.get(kind)
    return None if coll is None else coll.get(key)


@dataclass(slots=True)
class ChangeSet:
    old: m.Schema
    new: m.Schema
    removed: set[Key] = field(default_factory=set)
    replaced: set[Key] = field(default_factory=set)
    retyped: set[Key] = field(default_factory=set)  # column keys changing type in place
    swapped: set[Key] = field(default_factory=set)  # enum type keys rebuilt by a swap
    # column key -> swapped enum key, for columns cast to the rebuilt type
    swap_columns: dict[Key, Key] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unplanned: list[Unplanned] = field(default_factory=list)  # differences left undone
    _rev_old: dict[Key, list[Key]] | None = None
    _rev_new: dict[Key, list[Key]] | None = None
    _owned: dict[tuple[str, str], list[Key]] | None = None
    _children: dict[tuple[str, str], list[Key]] | None = None

    @property
    def rev_old(self) -> dict[Key, list[Key]]:
        if self._rev_old is None:
            self._rev_old = reverse_graph(self.old.depends_on)
        return self._rev_old

    @property
    def rev_new(self) -> dict[Key, list[Key]]:
        if self._rev_new is None:
            self._rev_new = reverse_graph(self.new.depends_on)
        return self._rev_new

    @property
    def old_table_objects(self) -> dict[tuple[str, str], list[Key]]:
        """(schema, table) -> keys of its constraints, indexes, triggers and policies (old)."""
        if self._owned is None:
            owned: dict[tuple[str, str], list[Key]] = defaultdict(list)
            for coll in (
                self.old.constraints,
                self.old.triggers,
                self.old.policies,
                self.old.indexes,
            ):
                for key, obj in coll.items():
                    owned[(obj.schema, obj.table)].append(key)
            for key, seq in self.old.sequences.items():
                if seq.owned_by:
                    owned[seq.owned_by[:2]] += [key, ("seqowner", *key[1:])]
            self._owned = owned
        return self._owned

    @property
    def old_partitions(self) -> dict[tuple[str, str], list[Key]]:
        """(schema, table) -> keys of its partitions in the old schema."""
        if self._children is None:
            children: dict[tuple[str, str], list[Key]] = defaultdict(list)
            for key, table in self.old.tables.items():
                if table.parent:
                    children[table.parent].append(key)
            self._children = children
        return self._children

    def add(self, statement: Statement) -> int:
        self.statements.append(statement)
        return len(self.statements) - 1

    def add_comment(
        self, key: Key, target: str, old: str | None, new: str | None, *, fresh: bool
    ) -> None:
        """``COMMENT ON target`` when the object is new and has a comment, or the comment
        changed. ``target`` is "KIND name" (e.g. ``COLUMN public.t.c``)."""
        if (fresh and new is not None) or (not fresh and old != new):
            self.add(
                Statement(
                    sqlgen.comment_on(target, new),
                    target.split(" ", 1)[1],
                    "comment",
                    requires=frozenset({key}),
                )
            )

    def unplan(self, kind: str, identity: str, reason: str) -> None:
        """Record a difference this plan does not make (it reaches ``Plan.unplanned``)."""
        self.unplanned.append(Unplanned(kind, identity, reason))

    def chain(self, indexes: list[int]) -> None:
        """Make the given statements run in this order."""
        self.edges.extend(pairwise(indexes))

    def columns_replaced(self, table: m.Table) -> bool:
        """True when the plan drops and re-adds any column of ``table``."""
        return any(
            ("column", table.schema, table.name, c.name) in self.replaced for c in table.columns
        )

    def gone(self, key: Key) -> bool:
        """True when ``key`` is dropped by this plan (removed or replaced)."""
        return key in self.removed or key in self.replaced

    def table_gone(self, schema: str, table: str) -> bool:
        return self.gone(("table", schema, table)) or self.gone(("view", schema, table))

    def cascade(self) -> None:
        """Replace every recreatable object that depends on something dropped or retyped."""
        todo = [(k, RECREATABLE) for k in sorted(self.removed | self.replaced | self.swapped)]
        todo += [(k, RETYPE_BREAKS) for k in sorted(self.retyped | self.swap_columns.keys())]
        for key in sorted(self.removed | self.replaced):
            todo += [(c, RECREATABLE) for c in self._old_columns(key)]
        seen: set[Key] = set()
        while todo:
            key, kinds = todo.pop()
            for dep in self.rev_old.get(key, ()):
                if (dep[0] not in kinds and not self._built_on(dep, key)) or dep in seen:
                    continue
                seen.add(dep)
                if dep in self.removed or dep in self.replaced:
                    continue
                if get_object(self.new, dep) is None:
                    self.removed.add(dep)
                else:
                    self.replaced.add(dep)
                todo.append((dep, RECREATABLE))
                # a view further down a chain may use only some columns of this one
                todo += [(c, RECREATABLE) for c in self._old_columns(dep)]

    def _built_on(self, dep: Key, key: Key) -> bool:
        """True when ``dep`` is a domain whose base type is ``key`` (a domain, or a table's or
        view's row type): the domain cannot outlive its base type, so it is rebuilt too."""
        domain = self.old.domains.get(dep) if dep[0] == "type" else None
        if domain is None or not self.gone(key) or key[0] not in ("type", "table", "view"):
            return False
        return domain.base_type.removesuffix("[]") == qualified(key[1], key[2])

    def _old_columns(self, key: Key) -> list[Key]:
        """Column keys of the old table or view ``key`` (none for other kinds)."""
        if key[0] == "table":
            return [("column", *key[1:], c.name) for c in self.old.tables[key].columns]
        if key[0] == "view":
            return [("column", *key[1:], c) for c in self.old.views[key].columns]
        return []

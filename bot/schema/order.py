"""Dependency ordering of plan statements with ``graphlib.TopologicalSorter``.

Rules, each an edge "must run before":

1. Drops follow the old schema's dependencies backwards: a statement dropping X runs
   before one dropping Y when X depended on Y (views before their tables, foreign keys
   before the key they reference, defaults before the sequence they call).
2. Creates follow the new schema's dependencies forwards: a statement creating Y runs
   before one creating X when X depends on Y, and before any statement that
   explicitly ``requires`` Y.
3. A statement dropping a key runs before one creating the same key (replacements).
4. Explicit edges from the differ (an enum swap is a fixed sequence of steps).

A cycle among these edges is broken by running part of one statement of it separately
and first (a foreign key dropped before its table, a sequence's owner released before
the owning table goes); see ``cycles``.

Among statements whose dependencies are met, the one with the lowest operation rank
(``ops.RANKS``) and then the lowest emission index goes first, so the output is
deterministic and reads in the usual drop-then-create order.
"""

from __future__ import annotations

import heapq
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter

from bot.errors import PlanError
from bot.schema.cycles import detach
from bot.schema.model import Key
from bot.schema.ops import Statement

__all__ = ["order_statements"]

log = logging.getLogger(__name__)


def order_statements(
    statements: list[Statement],
    *,
    old_deps: Mapping[Key, tuple[Key, ...]],
    new_deps: Mapping[Key, tuple[Key, ...]],
    edges: Iterable[tuple[int, int]] = (),
) -> list[Statement]:
    """Return ``statements`` in an order that respects every dependency.

    A cycle is broken by splitting a detachable part out of one of its statements
    (``cycles.detach``); the plan is then one statement longer. A cycle no part breaks
    raises ``PlanError``.
    """
    statements = list(statements)
    edges = list(edges)
    while True:
        graph = _Graph(statements, old_deps=old_deps, new_deps=new_deps, edges=edges)
        try:
            return [statements[i] for i in _priority_order(graph.predecessors, statements)]
        except CycleError as exc:
            cycle: list[int] = exc.args[1]
            split = detach(statements, cycle, follows=graph.after_drop)
            if split is None:
                text = " -> ".join(statements[i].object for i in cycle)
                raise PlanError(f"cannot order the plan: circular dependency {text}") from exc
            statements, more = split
            edges += more
            log.debug("order: cycle %s broken by a detached statement", cycle)


class _Graph:
    """The "must run before" graph of a list of statements (rules in the module docstring)."""

    def __init__(
        self,
        statements: list[Statement],
        *,
        old_deps: Mapping[Key, tuple[Key, ...]],
        new_deps: Mapping[Key, tuple[Key, ...]],
        edges: Iterable[tuple[int, int]],
    ) -> None:
        droppers: dict[Key, list[int]] = defaultdict(list)
        creators: dict[Key, list[int]] = defaultdict(list)
        for i, st in enumerate(statements):
            for k in st.drops:
                droppers[k].append(i)
            for k in st.creates:
                creators[k].append(i)
        self._old_deps = old_deps
        self._creators = creators
        self._old_reach = _Reach(old_deps, droppers)
        new_reach = _Reach(new_deps, creators)
        graph: dict[int, set[int]] = {i: set() for i in range(len(statements))}
        for i, st in enumerate(statements):
            for k in st.drops:
                for j in self.after_drop(k):
                    if j != i:
                        graph[j].add(i)  # j drops what k depended on, or creates k again
            needed = set(st.requires)
            for k in st.creates:
                needed.update(new_deps.get(k, ()))
            for dep in needed:
                for j in new_reach.statements(dep):
                    if j != i:
                        graph[i].add(j)
        for before, after in edges:
            graph[after].add(before)
        self.predecessors = graph  # node -> the nodes that must run before it

    def after_drop(self, key: Key) -> frozenset[int]:
        """Statements that must run after one dropping ``key`` (rules 1 and 3)."""
        found = set(self._creators.get(key, ()))
        for dep in self._old_deps.get(key, ()):
            found |= self._old_reach.statements(dep)
        return frozenset(found)


class _Reach:
    """Statements touching a key, looking through keys no statement touches.

    A view depending on a column of another view depends, through that column, on the
    statement creating the other view even though no statement creates the column.
    """

    def __init__(self, deps: Mapping[Key, tuple[Key, ...]], touching: Mapping[Key, list[int]]):
        self._deps = deps
        self._touching = touching
        self._memo: dict[Key, frozenset[int]] = {}

    def statements(self, key: Key) -> frozenset[int]:
        found = self._memo.get(key)
        if found is not None:
            return found
        if key in self._touching:
            found = frozenset(self._touching[key])
        else:
            self._memo[key] = frozenset()  # guards against cycles while resolving
            acc: set[int] = set()
            for dep in self._deps.get(key, ()):
                acc |= self.statements(dep)
            found = frozenset(acc)
        self._memo[key] = found
        return found


def _priority_order(graph: dict[int, set[int]], statements: list[Statement]) -> list[int]:
    sorter = TopologicalSorter(graph)
    sorter.prepare()  # raises CycleError
    heap: list[tuple[int, int]] = []
    result: list[int] = []
    while sorter.is_active():
        for i in sorter.get_ready():
            heapq.heappush(heap, (statements[i].rank, i))
        _, i = heapq.heappop(heap)
        result.append(i)
        sorter.done(i)
    return result

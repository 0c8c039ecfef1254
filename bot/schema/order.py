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

Among statements whose dependencies are met, the one with the lowest operation rank
(``ops.RANKS``) and then the lowest emission index goes first, so the output is
deterministic and reads in the usual drop-then-create order.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter

from bot.errors import PlanError
from bot.schema.model import Key
from bot.schema.ops import Statement

__all__ = ["order_statements"]


def order_statements(
    statements: list[Statement],
    *,
    old_deps: Mapping[Key, tuple[Key, ...]],
    new_deps: Mapping[Key, tuple[Key, ...]],
    edges: Iterable[tuple[int, int]] = (),
) -> list[Statement]:
    """Return ``statements`` in an order that respects every dependency."""
    droppers: dict[Key, list[int]] = defaultdict(list)
    creators: dict[Key, list[int]] = defaultdict(list)
    for i, st in enumerate(statements):
        for k in st.drops:
            droppers[k].append(i)
        for k in st.creates:
            creators[k].append(i)
    old_reach = _Reach(old_deps, droppers)
    new_reach = _Reach(new_deps, creators)
    graph: dict[int, set[int]] = {i: set() for i in range(len(statements))}  # node -> predecessors
    for i, st in enumerate(statements):
        for k in st.drops:
            for dep in old_deps.get(k, ()):
                for j in old_reach.statements(dep):
                    if j != i:
                        graph[j].add(i)  # i drops a dependent of what j drops
            for j in creators.get(k, ()):
                if j != i:
                    graph[j].add(i)
        needed = set(st.requires)
        for k in st.creates:
            needed.update(new_deps.get(k, ()))
        for dep in needed:
            for j in new_reach.statements(dep):
                if j != i:
                    graph[i].add(j)
    for before, after in edges:
        graph[after].add(before)
    return [statements[i] for i in _priority_order(graph, statements)]


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
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = " -> ".join(statements[i].object for i in exc.args[1])
        raise PlanError(f"cannot order the plan: circular dependency {cycle}") from exc
    heap: list[tuple[int, int]] = []
    result: list[int] = []
    while sorter.is_active():
        for i in sorter.get_ready():
            heapq.heappush(heap, (statements[i].rank, i))
        _, i = heapq.heappop(heap)
        result.append(i)
        sorter.done(i)
    return result

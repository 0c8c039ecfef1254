"""Breaking dependency cycles in a plan by running part of a statement on its own, earlier.

Some statements do several things at once that PostgreSQL also lets us do one at a time:
``DROP TABLE`` drops the table's foreign keys with it, and ``ALTER SEQUENCE … OWNED BY
t2.c`` releases the old owner while it takes the new one. Such a statement lists those
parts in ``Statement.detachable``: each part is a complete statement of its own
(``ALTER TABLE … DROP CONSTRAINT``, ``ALTER SEQUENCE … OWNED BY NONE``) that drops some
of the keys the whole statement drops.

When the ordering graph has a cycle (two tables dropped together, each with a foreign key
to the other; a sequence moved off a table that is dropped), the cycle runs through one
of those keys: a statement must come before its successor in the cycle *because* it drops
that key. ``detach`` finds such a statement and splits the part out: the part becomes a
new statement that runs before its parent, and the parent no longer drops the part's keys,
so the edge that closed the cycle is gone. Ordering then tries again; a cycle that no part
can break stays an error. Nothing here knows about foreign keys or sequences: the differ
decides what is detachable, this module only decides when to detach it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.schema.model import Key
from bot.schema.ops import Statement

__all__ = ["Detached", "detach"]

Detached = tuple[list[Statement], list[tuple[int, int]]]


def detach(
    statements: Sequence[Statement],
    cycle: Sequence[int],
    *,
    follows: Callable[[Key], frozenset[int]],
) -> Detached | None:
    """Split the parts that close ``cycle`` out of one statement of it.

    ``cycle`` lists statement indexes, each to run before the next (the last before the
    first); ``follows(key)`` gives the statements that must run after one dropping ``key``.
    Returns the new statement list (the split parts appended at the end, so existing
    indexes keep their meaning) and the edges "part before parent", or None when no
    statement of the cycle has a part whose keys make it precede its successor.
    """
    ring = list(cycle[:-1] if len(cycle) > 1 and cycle[0] == cycle[-1] else cycle)
    successor = {ring[p]: ring[(p + 1) % len(ring)] for p in range(len(ring))}
    for i in sorted(ring):  # the lowest index first, so the same plan splits the same way
        parent = statements[i]
        after = successor[i]
        parts = [p for p in parent.detachable if any(after in follows(k) for k in p.drops)]
        if not parts:
            continue
        released: set[Key] = set()
        for part in parts:
            released |= part.drops
        kept = tuple(p for p in parent.detachable if p not in parts)
        out = list(statements)
        out[i] = replace(parent, drops=parent.drops - released, detachable=kept)
        edges = [(len(out) + n, i) for n in range(len(parts))]
        out.extend(parts)
        return out, edges
    return None

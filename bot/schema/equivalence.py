"""Definitions that differ in text but not in what the server stores. Pure.

PostgreSQL does not store a CHECK, an index predicate, a view or a policy expression as
written: it stores a parse tree and prints it back. Printing is not a fixed point. A
``varchar`` column compared with ``IN ('a','b')`` prints as
``(c)::text = ANY ((ARRAY['a'::character varying, …])::text[])``, and running *that* text
stores ``(c)::text = ANY (ARRAY[('a'::character varying)::text, …])``. So the text the
plan takes from the desired database is stored differently once applied, and a plain
comparison would drop and re-create the object on every run, never reaching IN SYNC.

The cure is to compare what the server *would store*: ``candidates`` lists the objects
present on both sides whose texts differ; ``restate.py`` re-creates each desired text on
the desired database (in a transaction it rolls back) and reads back the stored text;
``adopt`` then treats an old object whose stored text equals that read-back as equal to
the desired one (its model takes the desired text, so a later re-creation, e.g. by a
cascade, still emits the desired text). Equality of stored texts means the same parse
tree, so an object whose meaning changed never compares equal, however alike the texts
look.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.schema import model as m
from bot.schema.model import Key

__all__ = ["Restatement", "adopt", "candidates", "index_tail"]

# The constraint kinds whose text holds an expression (CHECK, EXCLUDE … WHERE).
_EXPRESSION_CONSTRAINTS = frozenset({"c", "x"})


@dataclass(frozen=True, slots=True)
class Restatement:
    """One desired text to restate. ``part`` says which text of the object: "definition",
    or "using"/"with_check" of a policy. ``table`` is the (schema, name) the object is on."""

    key: Key
    part: str
    text: str
    table: tuple[str, str] | None
    obj: object  # the desired model object


def index_tail(definition: str) -> str:
    """An index definition from `` USING `` on: the part that does not name the index or
    its table (a restated copy has another name, on a scratch table)."""
    at = definition.find(" USING ")
    return definition if at < 0 else definition[at:]


def candidates(old: m.Schema, new: m.Schema) -> list[Restatement]:
    """Objects on both sides whose stored texts differ, in key order."""
    out: list[Restatement] = []
    for key, con in sorted(new.constraints.items()):
        oc = old.constraints.get(key)
        if oc and con.kind in _EXPRESSION_CONSTRAINTS and oc.definition != con.definition:
            out.append(Restatement(key, "definition", con.definition, (con.schema, con.table), con))
    for key, idx in sorted(new.indexes.items()):
        oi = old.indexes.get(key)
        if oi and oi.definition != idx.definition:
            out.append(Restatement(key, "definition", idx.definition, (idx.schema, idx.table), idx))
    for key, view in sorted(new.views.items()):
        ov = old.views.get(key)
        if ov and ov.materialized == view.materialized and ov.definition != view.definition:
            out.append(Restatement(key, "definition", view.definition, None, view))
    for key, pol in sorted(new.policies.items()):
        op = old.policies.get(key)
        if op is None or op.command != pol.command:
            continue
        for part in ("using", "with_check"):
            mine, theirs = getattr(pol, part), getattr(op, part)
            if mine is not None and theirs is not None and mine != theirs:
                out.append(Restatement(key, part, mine, (pol.schema, pol.table), pol))
    return out


def adopt(
    old: m.Schema, restated: dict[tuple[Key, str], str], wanted: list[Restatement]
) -> m.Schema:
    """A copy of ``old`` where each object whose stored text equals the restated desired
    text carries the desired text instead (so the differ sees no change). ``old`` itself is
    left as it is (its fingerprint stays the database's)."""
    if not restated:
        return old
    out = replace(
        old,
        constraints=dict(old.constraints),
        indexes=dict(old.indexes),
        views=dict(old.views),
        policies=dict(old.policies),
    )
    for r in wanted:
        stored = restated.get((r.key, r.part))
        if stored is None:
            continue
        if r.key[0] == "constraint" and out.constraints[r.key].definition == stored:
            out.constraints[r.key] = replace(out.constraints[r.key], definition=r.text)
        elif r.key[0] == "index" and _same_index(out.indexes[r.key].definition, stored, r.text):
            out.indexes[r.key] = replace(out.indexes[r.key], definition=r.text)
        elif r.key[0] == "view" and out.views[r.key].definition == stored:
            out.views[r.key] = replace(out.views[r.key], definition=r.text)
        elif r.key[0] == "policy" and getattr(out.policies[r.key], r.part) == stored:
            out.policies[r.key] = replace(out.policies[r.key], **{r.part: r.text})
    return out


def _same_index(old: str, stored: str, wanted: str) -> bool:
    """Same stored index: same UNIQUE-ness and tail, and ON ONLY as the wanted text has it
    (the restated copy is on a plain scratch table, never ON ONLY)."""
    return (
        old.startswith("CREATE UNIQUE ") == stored.startswith("CREATE UNIQUE ")
        and (" ON ONLY " in old) == (" ON ONLY " in wanted)
        and index_tail(old) == index_tail(stored)
    )

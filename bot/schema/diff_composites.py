"""Differ for composite types (``CREATE TYPE ... AS (...)``) and collations.

A composite type changes in place, attribute by attribute (``ALTER TYPE ... ADD / DROP /
ALTER ATTRIBUTE``), with CASCADE only when typed tables of the type must follow. PostgreSQL
refuses ALTER ATTRIBUTE ... TYPE while a table column stores the type, so then the attribute
is dropped and added again (its values are lost, and the plan says so). When the attribute
order cannot be reached that way, a type nothing stores is dropped and created again (the
cascade recreates functions and views using it); a stored one keeps its order, with a warning.

A collation cannot be altered: a changed one is dropped and created again, unless columns
use it (PostgreSQL refuses the drop), in which case the difference is left unplanned.
"""

from __future__ import annotations

from bot.schema import model as m
from bot.schema import sqlgen
from bot.schema.changeset import RECREATABLE, ChangeSet
from bot.schema.model import Key
from bot.schema.ops import Note, NoteCode, Statement
from bot.schema.quoting import qualified, quote_ident

__all__ = ["classify_composites", "emit_composites"]


def _collation_body(c: m.Collation) -> tuple[object, ...]:
    return (c.provider, c.deterministic, c.lc_collate, c.lc_ctype, c.locale, c.rules)


def classify_composites(cs: ChangeSet) -> None:
    for coll_old, coll_new in (
        (cs.old.composites, cs.new.composites),
        (cs.old.collations, cs.new.collations),
    ):
        cs.removed.update(k for k in coll_old if k not in coll_new)
    for key, ct in cs.old.composites.items():
        new = cs.new.composites.get(key)
        if new is None:
            continue
        if _reachable_in_place(cs, ct, new):
            dropped, rebuilt, retyped = _attribute_steps(cs, ct, new)
            if dropped or rebuilt or retyped:
                # PostgreSQL refuses to drop or retype an attribute a view reads: rebuild
                # the views on the type around the ALTER TYPE (the cascade takes what is
                # built on them).
                cs.replaced.update(d for d in cs.rev_old.get(key, ()) if d[0] == "view")
            continue
        if _recreatable(cs, key):
            cs.replaced.add(key)
        else:
            cs.unplan(
                "composite type",
                qualified(ct.schema, ct.name),
                "attribute order differs, and columns store the type, so it cannot be "
                "dropped and created again",
            )
    for key, coll in cs.old.collations.items():
        new = cs.new.collations.get(key)
        if new is None or _collation_body(coll) == _collation_body(new):
            continue
        users = _column_users(cs, key)
        if users:
            cs.unplan(
                "collation",
                qualified(coll.schema, coll.name),
                "definition changes, but a collation cannot be altered and "
                f"{', '.join(users)} use(s) it, so it cannot be dropped and created again",
            )
        else:
            cs.replaced.add(key)


def _column_users(cs: ChangeSet, key: Key) -> list[str]:
    """Columns of kept tables (and types) in the old schema that use ``key``."""
    out = []
    for dep in cs.rev_old.get(key, ()):
        if dep[0] == "column" and ("table", *dep[1:3]) in cs.old.tables:
            if not cs.table_gone(dep[1], dep[2]) and not cs.gone(dep) and dep not in cs.retyped:
                out.append(f"{qualified(dep[1], dep[2])}.{quote_ident(dep[3])}")
        elif dep[0] == "type":
            out.append(qualified(dep[1], dep[2]))
    return sorted(out)


def _stored(cs: ChangeSet, key: Key) -> bool:
    """True when a table column of the old schema holds values of the type ``key`` (directly,
    in an array, or through a domain or another composite type)."""
    todo, seen = [key], {key}
    while todo:
        for dep in cs.rev_old.get(todo.pop(), ()):
            if dep[0] == "column" and ("table", *dep[1:3]) in cs.old.tables:
                return True
            if dep[0] == "type" and dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return False


def _recreatable(cs: ChangeSet, key: Key) -> bool:
    """Only objects the cascade can drop and recreate use the type (nor a typed table)."""
    if _typed_tables(cs, key):
        return False
    return all(dep[0] in RECREATABLE for dep in cs.rev_old.get(key, ()))


def _typed_tables(cs: ChangeSet, key: Key) -> list[str]:
    """Typed tables of the type in the old schema (unplanned kind: named by unsupported.sql)."""
    of = f"OF {qualified(key[1], key[2])}"
    return [u.identity for u in cs.old.unsupported if u.kind == "typed table" and u.signature == of]


def _attribute_steps(
    cs: ChangeSet, old: m.CompositeType, new: m.CompositeType
) -> tuple[list[str], list[str], list[str]]:
    """(attributes dropped, rebuilt (dropped and added), retyped in place); the rest of the
    new attributes not in the old type are added."""
    stored = _stored(cs, old.key)
    nattrs = {a.name: a for a in new.attributes}
    dropped, rebuilt, retyped = [], [], []
    for a in old.attributes:
        na = nattrs.get(a.name)
        if na is None:
            dropped.append(a.name)
        elif (a.data_type, a.collation) != (na.data_type, na.collation):
            (rebuilt if stored else retyped).append(a.name)
    return dropped, rebuilt, retyped


def _reachable_in_place(cs: ChangeSet, old: m.CompositeType, new: m.CompositeType) -> bool:
    """True when dropping and adding attributes (added ones go last) gives the new order."""
    dropped, rebuilt, _ = _attribute_steps(cs, old, new)
    onames = {a.name for a in old.attributes}
    kept = [a.name for a in old.attributes if a.name not in dropped and a.name not in rebuilt]
    added = [a.name for a in new.attributes if a.name not in onames or a.name in rebuilt]
    return kept + added == [a.name for a in new.attributes]


def emit_composites(cs: ChangeSet) -> None:
    _emit_collations(cs)
    for key, ct in sorted(cs.old.composites.items()):
        if cs.gone(key):
            name = qualified(ct.schema, ct.name)
            cs.add(
                Statement(
                    f"DROP TYPE {name}",
                    name,
                    "drop_type",
                    # a replaced type is one nothing stores
                    destructive=key in cs.removed or _stored(cs, key),
                    drops=frozenset({key}),
                )
            )
    for key, ct in sorted(cs.new.composites.items()):
        name = qualified(ct.schema, ct.name)
        old = cs.old.composites.get(key)
        fresh = old is None or key in cs.replaced
        if fresh:
            sql = sqlgen.create_composite(ct)
            cs.add(Statement(sql, name, "create_type", creates=frozenset({key})))
        elif _reachable_in_place(cs, old, ct):
            _alter_attributes(cs, old, ct)
        # else: unplanned (see classify_composites); a partial ALTER TYPE would only fail
        cs.add_comment(key, f"TYPE {name}", old and old.comment, ct.comment, fresh=fresh)
        ocomments = {} if fresh else {a.name: a.comment for a in old.attributes}
        rebuilt = set() if fresh else set(_attribute_steps(cs, old, ct)[1])
        for a in ct.attributes:
            target = f"COLUMN {name}.{quote_ident(a.name)}"
            again = a.name not in ocomments or a.name in rebuilt
            cs.add_comment(key, target, ocomments.get(a.name), a.comment, fresh=fresh or again)


def _alter_attributes(cs: ChangeSet, old: m.CompositeType, new: m.CompositeType) -> None:
    """One ALTER TYPE with every attribute action (one statement keeps the type's drop and
    create side in one place for ordering; PostgreSQL runs its drops before its adds)."""
    name = qualified(new.schema, new.name)
    typed = _typed_tables(cs, new.key)
    cascade = " CASCADE" if typed else ""
    stored = _stored(cs, old.key) or bool(typed)
    dropped, rebuilt, retyped = _attribute_steps(cs, old, new)
    onames = {a.name for a in old.attributes}
    actions = [f"DROP ATTRIBUTE {quote_ident(a)}" for a in dropped + rebuilt]
    for a in new.attributes:
        if a.name in retyped:
            collate = f" COLLATE {a.collation}" if a.collation else ""
            actions.append(f"ALTER ATTRIBUTE {quote_ident(a.name)} TYPE {a.data_type}{collate}")
    actions += [
        f"ADD ATTRIBUTE {sqlgen.attribute_definition(a)}"
        for a in new.attributes
        if a.name not in onames or a.name in rebuilt
    ]
    if not actions:
        return
    body = ",\n".join(f"    {a}{cascade}" for a in actions)
    changes_old = bool(dropped or rebuilt or retyped)
    cs.add(
        Statement(
            f"ALTER TYPE {name}\n{body}",
            name,
            "alter_type",
            destructive=bool(rebuilt) or (stored and bool(dropped or retyped)),
            drops=frozenset({new.key}) if changes_old else frozenset(),
            creates=frozenset({new.key}),
            notes=tuple(_rebuilt_note(old, new, a) for a in rebuilt),
        )
    )


def _rebuilt_note(old: m.CompositeType, new: m.CompositeType, attr: str) -> Note:
    obj = f"{qualified(new.schema, new.name)}.{quote_ident(attr)}"
    before = next(a for a in old.attributes if a.name == attr)
    after = next(a for a in new.attributes if a.name == attr)
    message = (
        f"{obj}: table columns store the type, and PostgreSQL cannot change an attribute's "
        f"type ({before.data_type} to {after.data_type}) while they do, so the attribute is "
        "dropped and added again: its values are lost in every stored row"
    )
    return Note(NoteCode.COLUMN_REBUILT, obj, message)


def _emit_collations(cs: ChangeSet) -> None:
    for key, coll in sorted(cs.old.collations.items()):
        if cs.gone(key):
            name = qualified(coll.schema, coll.name)
            cs.add(
                Statement(f"DROP COLLATION {name}", name, "drop_collation", drops=frozenset({key}))
            )
    for key, coll in sorted(cs.new.collations.items()):
        name = qualified(coll.schema, coll.name)
        old = cs.old.collations.get(key)
        fresh = old is None or key in cs.replaced
        if fresh:
            sql = sqlgen.create_collation(coll)
            cs.add(Statement(sql, name, "create_collation", creates=frozenset({key})))
        cs.add_comment(key, f"COLLATION {name}", old and old.comment, coll.comment, fresh=fresh)

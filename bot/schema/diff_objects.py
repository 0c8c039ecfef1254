"""Differ for constraints, indexes, views, functions, triggers, policies and defaults.

These are the kinds that can be dropped and recreated without losing data, so the
cascade may replace them when something underneath changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.schema import model as m
from bot.schema import sqlgen
from bot.schema.changeset import ChangeSet
from bot.schema.diff_partitions import attaches_partitions
from bot.schema.model import Key
from bot.schema.ops import Statement
from bot.schema.quoting import qualified, quote_ident

__all__ = ["classify_objects", "drop_constraint", "emit_objects"]

_TRIGGER_STATE = {
    "D": "DISABLE TRIGGER",
    "R": "ENABLE REPLICA TRIGGER",
    "A": "ENABLE ALWAYS TRIGGER",
    "O": "ENABLE TRIGGER",
}


def _policy_body(p: m.Policy) -> tuple[object, ...]:
    return (p.permissive, p.command, p.roles, p.using, p.with_check)


def _validates(old: m.Constraint, new: m.Constraint) -> bool:
    return old.definition == new.definition + " NOT VALID"


def _function_replaceable(old: m.Function, new: m.Function) -> bool:
    """CREATE OR REPLACE keeps dependents; an aggregate is always dropped and created again
    (OR REPLACE cannot change its state type or kind, and a rebuilt one is rare)."""
    same = (old.kind, old.arguments, old.result) == (new.kind, new.arguments, new.result)
    return same and new.kind != "a"


def _changed_definition(old: Any, new: Any) -> bool:
    return bool(new.definition != old.definition)


# Per kind: which Schema mapping holds it, and when an object present on both sides must be
# replaced (dropped and recreated) rather than left alone or altered in place.
_REPLACED_WHEN: tuple[tuple[str, Callable[[Any, Any], bool]], ...] = (
    ("constraints", lambda o, n: _changed_definition(o, n) and not _validates(o, n)),
    ("indexes", _changed_definition),
    (
        "views",
        lambda o, n: (
            (o.materialized, o.definition, o.options) != (n.materialized, n.definition, n.options)
        ),
    ),
    ("functions", lambda o, n: _changed_definition(o, n) and not _function_replaceable(o, n)),
    ("triggers", _changed_definition),
    ("policies", lambda o, n: _policy_body(n) != _policy_body(o)),
)


def classify_objects(cs: ChangeSet) -> None:
    for attr, replaced_when in _REPLACED_WHEN:
        new_objects = getattr(cs.new, attr)
        for key, obj in getattr(cs.old, attr).items():
            counterpart = new_objects.get(key)
            if counterpart is None:
                cs.removed.add(key)
            elif replaced_when(obj, counterpart):
                cs.replaced.add(key)


def _fresh(cs: ChangeSet, key: Key, old: object | None) -> bool:
    return old is None or key in cs.replaced


def emit_objects(cs: ChangeSet) -> None:
    _emit_constraints(cs)
    _emit_indexes(cs)
    _emit_views(cs)
    _emit_functions(cs)
    _emit_triggers(cs)
    _emit_policies(cs)
    _emit_defaults(cs)


def drop_constraint(c: m.Constraint) -> Statement:
    """``ALTER TABLE … DROP CONSTRAINT``: on its own, or split out of a DROP TABLE."""
    table = qualified(c.schema, c.table)
    op = "drop_foreign_key" if c.kind == "f" else "drop_constraint"
    return Statement(
        f"ALTER TABLE {table} DROP CONSTRAINT {quote_ident(c.name)}",
        f"{quote_ident(c.name)} ON {table}",
        op,
        drops=frozenset({c.key, ("rel", c.schema, c.name)}),
    )


def _emit_constraints(cs: ChangeSet) -> None:
    for key, c in sorted(cs.old.constraints.items()):
        if cs.gone(key) and not cs.table_gone(c.schema, c.table):
            cs.add(drop_constraint(c))
    for key, c in sorted(cs.new.constraints.items()):
        table = qualified(c.schema, c.table)
        target = f"CONSTRAINT {quote_ident(c.name)} ON {table}"
        old = cs.old.constraints.get(key)
        fresh = _fresh(cs, key, old)
        if fresh:
            creates = {key} | ({("rel", c.schema, c.name)} if c.kind in "pux" else set())
            op = "add_foreign_key" if c.kind == "f" else "add_constraint"
            cs.add(
                Statement(
                    f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(c.name)} {c.definition}",
                    target.split(" ", 1)[1],
                    op,
                    creates=frozenset(creates),
                )
            )
        elif _validates(old, c):
            cs.add(
                Statement(
                    f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote_ident(c.name)}",
                    target.split(" ", 1)[1],
                    "validate_constraint",
                )
            )
        cs.add_comment(key, target, old and old.comment, c.comment, fresh=fresh)


def _emit_indexes(cs: ChangeSet) -> None:
    for key, i in sorted(cs.old.indexes.items()):
        if i.parent_index:  # attached to a partitioned index: see diff_partitions
            continue
        if cs.gone(key) and not cs.table_gone(i.schema, i.table):
            name = qualified(i.schema, i.name)
            cs.add(
                Statement(
                    f"DROP INDEX {name}",
                    name,
                    "drop_index",
                    drops=frozenset({key, ("rel", i.schema, i.name)}),
                )
            )
    for key, i in sorted(cs.new.indexes.items()):
        name = qualified(i.schema, i.name)
        old = cs.old.indexes.get(key)
        fresh = _fresh(cs, key, old)
        if i.parent_index or (fresh and attaches_partitions(cs, i)):  # see diff_partitions
            cs.add_comment(key, f"INDEX {name}", old and old.comment, i.comment, fresh=fresh)
            continue
        if fresh:
            sql = i.definition.replace(" ON ONLY ", " ON ", 1)
            cs.add(
                Statement(
                    sql, name, "create_index", creates=frozenset({key, ("rel", i.schema, i.name)})
                )
            )
        cs.add_comment(key, f"INDEX {name}", old and old.comment, i.comment, fresh=fresh)


def _emit_views(cs: ChangeSet) -> None:
    for key, v in sorted(cs.old.views.items()):
        if cs.gone(key):
            name = qualified(v.schema, v.name)
            kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
            keys = {key, ("rel", v.schema, v.name)} | _view_columns(v)
            cs.add(Statement(f"DROP {kind} {name}", name, "drop_view", drops=frozenset(keys)))
    for key, v in sorted(cs.new.views.items()):
        name = qualified(v.schema, v.name)
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        old = cs.old.views.get(key)
        fresh = _fresh(cs, key, old)
        if fresh:
            keys = {key, ("rel", v.schema, v.name)} | _view_columns(v)
            cs.add(Statement(sqlgen.create_view(v), name, "create_view", creates=frozenset(keys)))
        cs.add_comment(key, f"{kind} {name}", old and old.comment, v.comment, fresh=fresh)
        ocols = {} if fresh else dict(old.column_comments)
        ncols = dict(v.column_comments)
        for col in sorted(ocols.keys() | ncols.keys()):
            target = f"COLUMN {name}.{quote_ident(col)}"
            cs.add_comment(key, target, ocols.get(col), ncols.get(col), fresh=fresh)


def _view_columns(v: m.View) -> set[Key]:
    return {("column", v.schema, v.name, c) for c in v.columns}


_ROUTINE_WORDS = {"p": "PROCEDURE", "a": "AGGREGATE"}


def _function_name(f: m.Function) -> str:
    args = f.identity_args or ("*" if f.kind == "a" else "")  # an aggregate of no arguments
    return f"{qualified(f.schema, f.name)}({args})"


def _emit_functions(cs: ChangeSet) -> None:
    for key, f in sorted(cs.old.functions.items()):
        if cs.gone(key):
            kind = _ROUTINE_WORDS.get(f.kind, "FUNCTION")
            cs.add(
                Statement(
                    f"DROP {kind} {_function_name(f)}",
                    _function_name(f),
                    "drop_function",
                    drops=frozenset({key}),
                )
            )
    for key, f in sorted(cs.new.functions.items()):
        old = cs.old.functions.get(key)
        fresh = _fresh(cs, key, old)
        body = f.definition.strip()
        if fresh or old.definition != f.definition:
            op = "create_function" if fresh else "replace_function"
            cs.add(Statement(body, _function_name(f), op, creates=frozenset({key})))
        kind = _ROUTINE_WORDS.get(f.kind, "FUNCTION")
        cs.add_comment(
            key, f"{kind} {_function_name(f)}", old and old.comment, f.comment, fresh=fresh
        )


def _emit_triggers(cs: ChangeSet) -> None:
    for key, t in sorted(cs.old.triggers.items()):
        if cs.gone(key) and not cs.table_gone(t.schema, t.table):
            table = qualified(t.schema, t.table)
            cs.add(
                Statement(
                    f"DROP TRIGGER {quote_ident(t.name)} ON {table}",
                    f"{quote_ident(t.name)} ON {table}",
                    "drop_trigger",
                    drops=frozenset({key}),
                )
            )
    for key, t in sorted(cs.new.triggers.items()):
        table = qualified(t.schema, t.table)
        obj = f"{quote_ident(t.name)} ON {table}"
        old = cs.old.triggers.get(key)
        fresh = _fresh(cs, key, old)
        if fresh:
            cs.add(Statement(t.definition, obj, "create_trigger", creates=frozenset({key})))
        if (fresh and t.enabled != "O") or (not fresh and old.enabled != t.enabled):
            sql = f"ALTER TABLE {table} {_TRIGGER_STATE[t.enabled]} {quote_ident(t.name)}"
            cs.add(Statement(sql, obj, "alter_trigger", requires=frozenset({key})))
        cs.add_comment(key, f"TRIGGER {obj}", old and old.comment, t.comment, fresh=fresh)


def _emit_policies(cs: ChangeSet) -> None:
    for key, p in sorted(cs.old.policies.items()):
        if cs.gone(key) and not cs.table_gone(p.schema, p.table):
            table = qualified(p.schema, p.table)
            cs.add(
                Statement(
                    f"DROP POLICY {quote_ident(p.name)} ON {table}",
                    f"{quote_ident(p.name)} ON {table}",
                    "drop_policy",
                    drops=frozenset({key}),
                )
            )
    for key, p in sorted(cs.new.policies.items()):
        obj = f"{quote_ident(p.name)} ON {qualified(p.schema, p.table)}"
        old = cs.old.policies.get(key)
        fresh = _fresh(cs, key, old)
        if fresh:
            cs.add(
                Statement(sqlgen.create_policy(p), obj, "create_policy", creates=frozenset({key}))
            )
        cs.add_comment(key, f"POLICY {obj}", old and old.comment, p.comment, fresh=fresh)


def _emit_defaults(cs: ChangeSet) -> None:
    """Defaults the cascade replaced (they referred to something rebuilt or retyped)."""
    for key in sorted(k for k in cs.removed | cs.replaced if k[0] == "default"):
        _, s, t, c = key
        col = f"{qualified(s, t)}.{quote_ident(c)}"
        prefix = f"ALTER TABLE {qualified(s, t)} ALTER COLUMN {quote_ident(c)}"
        ckey: Key = ("column", s, t, c)
        if not cs.table_gone(s, t) and not cs.gone(ckey):
            cs.add(Statement(f"{prefix} DROP DEFAULT", col, "drop_default", drops=frozenset({key})))
        if key in cs.replaced and not cs.table_gone(s, t) and ckey not in cs.replaced:
            table = cs.new.tables.get(("table", s, t))
            if table is None or ("table", s, t) not in cs.old.tables:
                continue
            default = next((x.default for x in table.columns if x.name == c), None)
            if default is not None and _column_existed(cs, s, t, c):
                cs.add(
                    Statement(
                        f"{prefix} SET DEFAULT {default}",
                        col,
                        "set_default",
                        creates=frozenset({key}),
                    )
                )


def _column_existed(cs: ChangeSet, s: str, t: str, c: str) -> bool:
    table = cs.old.tables.get(("table", s, t))
    return table is not None and any(x.name == c for x in table.columns)

"""Differ for tables, partitions, columns, row-level security and their comments."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from bot.schema import model as m
from bot.schema import sqlgen
from bot.schema.casts import cast_path
from bot.schema.changeset import ChangeSet
from bot.schema.diff_objects import drop_constraint
from bot.schema.fill import DOMAIN_DEFAULT, fill_for, fill_note
from bot.schema.inherit import start_state
from bot.schema.model import Key
from bot.schema.ops import Note, NoteCode, Statement
from bot.schema.quoting import qualified, quote_ident
from bot.schema.rowtypes import row_type_note, row_type_requires
from bot.schema.seqrange import Restart, identity_bounds, restart_for, restart_notes

__all__ = ["classify_tables", "emit_tables"]

_INTS = ("smallint", "integer", "bigint")
_VARCHAR = re.compile(r"^character varying\((\d+)\)$")


def _structure(t: m.Table) -> tuple[object, ...]:
    return (t.partition_key, t.parent, t.partition_bound)


def classify_tables(cs: ChangeSet) -> None:
    old, new = cs.old, cs.new
    for key, t in old.tables.items():
        nt = new.tables.get(key)
        if nt is None:
            cs.removed.add(key)
        elif _structure(t) != _structure(nt):
            cs.replaced.add(key)
    changed = True
    while changed:  # partitions go with their parent
        changed = False
        for key, t in old.tables.items():
            if t.parent and cs.gone(("table", *t.parent)) and not cs.gone(key):
                (cs.replaced if key in new.tables else cs.removed).add(key)
                changed = True
    for key, t in sorted(old.tables.items()):
        nt = new.tables.get(key)
        if nt is None or cs.gone(key) or t.parent:
            continue
        ncols = {c.name: c for c in nt.columns}
        for col in t.columns:
            ckey = ("column", t.schema, t.name, col.name)
            nc = ncols.get(col.name)
            if nc is None:
                cs.removed.add(ckey)
            elif _needs_rebuild(col, nc) or _no_cast_path(cs, col, nc):
                cs.replaced.add(ckey)
            elif (col.data_type, col.collation) != (nc.data_type, nc.collation):
                cs.retyped.add(ckey)


def _needs_rebuild(old: m.Column, new: m.Column) -> bool:
    return new.generated is not None and old.generated != new.generated


def _no_cast_path(cs: ChangeSet, old: m.Column, new: m.Column) -> bool:
    """True when no cast keeps the values across the type change (see ``casts``)."""
    return old.data_type != new.data_type and _using_path(cs, old, new) is None


def _using_path(cs: ChangeSet, old: m.Column, new: m.Column) -> tuple[str, ...] | None:
    """Types the USING expression casts through; enums only cast to and from text."""
    if _is_enum(cs, old.data_type) or _is_enum(cs, new.data_type):
        return ("text",)
    return cast_path(old.data_type, new.data_type, resolve=_domain_bases(cs))


def _domain_bases(cs: ChangeSet) -> Callable[[str], str]:
    bases = {
        qualified(d.schema, d.name): d.base_type
        for d in (*cs.old.domains.values(), *cs.new.domains.values())
    }

    def resolve(data_type: str) -> str:
        for _ in range(len(bases) + 1):  # a domain over a domain: follow to the base type
            if data_type not in bases:
                break
            data_type = bases[data_type].removesuffix("[]")
        return data_type

    return resolve


def _family(cs: ChangeSet, t: m.Table) -> set[Key]:
    """Every key that disappears when ``t`` is dropped (columns, constraints, partitions...)."""
    s, n = t.schema, t.name
    keys: set[Key] = {t.key, ("rel", s, n)}
    for c in t.columns:
        keys |= {("column", s, n, c.name), ("default", s, n, c.name)}
    keys.update(cs.old_table_objects.get((s, n), ()))
    for child in cs.old_partitions.get((s, n), ()):
        keys |= _family(cs, cs.old.tables[child])
    return keys


def _foreign_keys(cs: ChangeSet, t: m.Table) -> tuple[Statement, ...]:
    """The table's own foreign keys, each droppable before the table when two tables going
    away refer to each other (see ``cycles``)."""
    keys = cs.old_table_objects.get((t.schema, t.name), ())
    fks = [cs.old.constraints[k] for k in sorted(keys) if k[0] == "constraint"]
    return tuple(drop_constraint(c) for c in fks if c.kind == "f")


def emit_tables(cs: ChangeSet) -> None:
    for key, t in sorted(cs.old.tables.items()):
        if not cs.gone(key) or (t.parent and cs.gone(("table", *t.parent))):
            continue
        name = qualified(t.schema, t.name)
        cs.add(
            Statement(
                f"DROP TABLE {name}",
                name,
                "drop_table",
                destructive=True,
                drops=frozenset(_family(cs, t)),
                detachable=_foreign_keys(cs, t),
            )
        )
    for key, t in sorted(cs.new.tables.items()):
        old = cs.old.tables.get(key)
        if old is None or cs.gone(key):
            created = _create_table(cs, t)
            if t.parent or t.inherits:  # inherited columns: only what differs from the parent
                first = len(cs.statements)
                _alter_columns(cs, start_state(cs, None, t), t)
                cs.edges.extend((created, i) for i in range(first, len(cs.statements)))
        else:
            _alter_table(cs, start_state(cs, old, t), t)


def _create_table(cs: ChangeSet, t: m.Table) -> int:
    name = qualified(t.schema, t.name)
    keys: set[Key] = {t.key, ("rel", t.schema, t.name)}
    for c in t.columns:
        keys.add(("column", t.schema, t.name, c.name))
        if c.default is not None and not t.parent and (c.local or not t.inherits):
            keys.add(("default", t.schema, t.name, c.name))
    created = cs.add(
        Statement(
            sqlgen.create_table(t),
            name,
            "create_table",
            creates=frozenset(keys),
            requires=row_type_requires(cs, (k for k in keys if k[0] == "column")),
        )
    )
    _rls(cs, t, enabled=False, forced=False)
    cs.add_comment(t.key, f"TABLE {name}", None, t.comment, fresh=True)
    if not t.parent:
        for c in t.columns:
            ckey = ("column", t.schema, t.name, c.name)
            cs.add_comment(
                ckey, f"COLUMN {name}.{quote_ident(c.name)}", None, c.comment, fresh=True
            )
    return created


def _rls(cs: ChangeSet, t: m.Table, *, enabled: bool, forced: bool) -> None:
    name = qualified(t.schema, t.name)
    if t.rls_enabled != enabled:
        verb = "ENABLE" if t.rls_enabled else "DISABLE"
        cs.add(
            Statement(
                f"ALTER TABLE {name} {verb} ROW LEVEL SECURITY",
                name,
                "alter_rls",
                requires=frozenset({t.key}),
            )
        )
    if t.rls_forced != forced:
        verb = "FORCE" if t.rls_forced else "NO FORCE"
        cs.add(
            Statement(
                f"ALTER TABLE {name} {verb} ROW LEVEL SECURITY",
                name,
                "alter_rls",
                requires=frozenset({t.key}),
            )
        )


def _alter_table(cs: ChangeSet, old: m.Table, t: m.Table) -> None:
    name = qualified(t.schema, t.name)
    _alter_columns(cs, old, t)  # ``old`` is the state after the parents' recursing statements
    if old.unlogged != t.unlogged:
        verb = "SET UNLOGGED" if t.unlogged else "SET LOGGED"
        cs.add(Statement(f"ALTER TABLE {name} {verb}", name, "alter_table"))
    if old.options != t.options:
        gone = sorted(
            {o.split("=", 1)[0] for o in old.options} - {o.split("=", 1)[0] for o in t.options}
        )
        if gone:
            cs.add(Statement(f"ALTER TABLE {name} RESET ({', '.join(gone)})", name, "alter_table"))
        if t.options:
            cs.add(
                Statement(f"ALTER TABLE {name} SET ({', '.join(t.options)})", name, "alter_table")
            )
    _rls(cs, t, enabled=old.rls_enabled, forced=old.rls_forced)
    cs.add_comment(t.key, f"TABLE {name}", old.comment, t.comment, fresh=False)


def _alter_columns(cs: ChangeSet, old: m.Table, t: m.Table) -> None:
    if old.columns == t.columns and not cs.columns_replaced(t):
        return  # the common case in a large schema: nothing to say about this table's columns
    name = qualified(t.schema, t.name)
    ocols = {c.name: c for c in old.columns}
    new_cols = {c.name: c for c in t.columns}
    ncols = set(new_cols)
    for c in old.columns:
        ckey: Key = ("column", t.schema, t.name, c.name)
        if c.name not in ncols or ckey in cs.replaced:
            seqs = {
                k
                for k in cs.old_table_objects.get((t.schema, t.name), ())
                if k[0] == "sequence" and cs.old.sequences[k].owned_by[2] == c.name
            }
            drops = {ckey, ("default", t.schema, t.name, c.name)} | seqs
            drops |= {("seqowner", *k[1:]) for k in seqs}
            col_sql = f"{name}.{quote_ident(c.name)}"
            cs.add(
                Statement(
                    f"ALTER TABLE {name} DROP COLUMN {quote_ident(c.name)}",
                    col_sql,
                    "drop_column",
                    destructive=c.generated is None,
                    drops=frozenset(drops),
                    notes=_rebuild_notes(cs, c, new_cols.get(c.name), col_sql, name)
                    or (row_type_note(cs, ckey, col_sql, name) if c.name in ncols else ()),
                )
            )
    for c in t.columns:
        ckey = ("column", t.schema, t.name, c.name)
        col_sql = f"{name}.{quote_ident(c.name)}"
        oc = ocols.get(c.name)
        if oc is None or ckey in cs.replaced:
            _add_column(cs, name, ckey, c)
            cs.add_comment(ckey, f"COLUMN {col_sql}", None, c.comment, fresh=True)
            continue
        _alter_column(cs, name, ckey, oc, c)
        cs.add_comment(ckey, f"COLUMN {col_sql}", oc.comment, c.comment, fresh=False)


def _add_column(cs: ChangeSet, table: str, ckey: Key, c: m.Column) -> None:
    """ADD COLUMN; a NOT NULL one without a default gets a fill value for existing rows
    (``fill``), dropped again right after so the column ends as desired."""
    col_sql = f"{table}.{quote_ident(c.name)}"
    creates = {ckey} | ({("default", *ckey[1:])} if c.default is not None else set())
    needs_fill = c.not_null and c.default is None and not c.identity and c.generated is None
    fill = fill_for(c, old=cs.old, new=cs.new) if needs_fill else None
    notes: tuple[Note, ...] = ()
    if needs_fill and fill != DOMAIN_DEFAULT:
        notes = (fill_note(col_sql, table, c.data_type, fill),)
    filled = fill is not None and fill != DOMAIN_DEFAULT
    definition = sqlgen.column_definition(replace(c, default=fill) if filled else c)
    add = cs.add(
        Statement(
            f"ALTER TABLE {table} ADD COLUMN {definition}",
            col_sql,
            "add_column",
            creates=frozenset(creates),
            requires=row_type_requires(cs, [ckey]),
            notes=notes,
        )
    )
    if filled:
        sql = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(c.name)} DROP DEFAULT"
        cs.chain([add, cs.add(Statement(sql, col_sql, "alter_column", requires=frozenset({ckey})))])


def _alter_column(cs: ChangeSet, table: str, ckey: Key, oc: m.Column, c: m.Column) -> None:
    col = quote_ident(c.name)
    obj = f"{table}.{col}"
    prefix = f"ALTER TABLE {table} ALTER COLUMN {col}"
    steps: list[int] = []
    dkey: Key = ("default", *ckey[1:])
    default_managed = cs.gone(dkey)  # dropped/recreated by the generic default handling
    drop_default = oc.default is not None and (c.default is None or bool(c.identity))
    if not default_managed and oc.default != c.default and drop_default:
        drop = Statement(f"{prefix} DROP DEFAULT", obj, "drop_default", drops=frozenset({dkey}))
        steps.append(cs.add(drop))
    if oc.generated is not None and c.generated is None:
        steps.append(cs.add(Statement(f"{prefix} DROP EXPRESSION", obj, "alter_column")))
    if ckey in cs.retyped and (oc.data_type, oc.collation) != (c.data_type, c.collation):
        collate = f" COLLATE {c.collation}" if c.collation else ""
        via = "".join(f"::{t}" for t in _using_path(cs, oc, c) or ())
        sql = f"{prefix} TYPE {c.data_type}{collate} USING {col}{via}::{c.data_type}"
        steps.append(
            cs.add(
                Statement(
                    sql,
                    obj,
                    "alter_column",
                    destructive=not _widening(oc.data_type, c.data_type),
                    drops=frozenset({ckey}),
                    creates=frozenset({ckey}),
                )
            )
        )
    if c.not_null and not oc.not_null:
        steps.append(cs.add(Statement(f"{prefix} SET NOT NULL", obj, "alter_column")))
    steps += _identity_steps(cs, prefix, obj, oc, c, ckey=ckey)
    if not default_managed and oc.default != c.default and c.default is not None:
        steps.append(
            cs.add(
                Statement(
                    f"{prefix} SET DEFAULT {c.default}",
                    obj,
                    "set_default",
                    drops=frozenset({dkey}) if oc.default else frozenset(),
                    creates=frozenset({dkey}),
                )
            )
        )
    if oc.not_null and not c.not_null:
        steps.append(cs.add(Statement(f"{prefix} DROP NOT NULL", obj, "alter_column")))
    cs.chain(steps)


def _rebuild_notes(
    cs: ChangeSet, old: m.Column, new: m.Column | None, obj: str, table: str
) -> tuple[Note, ...]:
    """Why a column kept by name is dropped and added again, when it is for its type."""
    if new is None or old.generated is not None or not _no_cast_path(cs, old, new):
        return ()
    message = (
        f"{obj}: no cast from {old.data_type} to {new.data_type} keeps the values, so the "
        "column is dropped and added again: every value it holds is lost"
    )
    return (Note(NoteCode.COLUMN_REBUILT, obj, message, table=table),)


def _identity_steps(
    cs: ChangeSet, prefix: str, obj: str, oc: m.Column, c: m.Column, *, ckey: Key
) -> list[int]:
    out: list[int] = []
    if (oc.identity, oc.identity_options) == (c.identity, c.identity_options):
        return out
    same_seq = bool(oc.identity and c.identity) and _seq_name(oc) == _seq_name(c)
    if oc.identity and (not c.identity or not same_seq):
        out.append(cs.add(Statement(f"{prefix} DROP IDENTITY", obj, "alter_column")))
    if c.identity and (not oc.identity or not same_seq):
        out.append(
            cs.add(Statement(f"{prefix} ADD {sqlgen.identity_clause(c)}", obj, "alter_column"))
        )
        return out
    if not c.identity:
        return out
    if oc.identity != c.identity:
        kind = "ALWAYS" if c.identity == "a" else "BY DEFAULT"
        out.append(cs.add(Statement(f"{prefix} SET GENERATED {kind}", obj, "alter_column")))
    if oc.identity_options != c.identity_options and c.identity_options:
        opts = sqlgen.identity_set_options(c.identity_options)
        restart = _identity_restart(cs, oc, c, ckey)
        if restart is not None:
            opts += f" {restart.clause}"
        out.append(
            cs.add(
                Statement(
                    f"{prefix} {opts}",
                    obj,
                    "alter_column",
                    destructive=restart is not None and restart.destructive,
                    notes=restart_notes(obj, restart),
                )
            )
        )
    return out


def _identity_restart(cs: ChangeSet, oc: m.Column, c: m.Column, ckey: Key) -> Restart | None:
    """The RESTART an identity's new bounds need (see ``seqrange``)."""
    old, new = identity_bounds(oc.identity_options), identity_bounds(c.identity_options)
    if old is None or new is None:
        return None
    return restart_for(old, new, cs.old.sequence_values.get(ckey))


def _is_enum(cs: ChangeSet, data_type: str) -> bool:
    """Enums only cast to and from text, so a retype to or from one goes through text."""
    base = data_type.removesuffix("[]")
    return any(
        base == qualified(e.schema, e.name)
        for e in (*cs.old.enums.values(), *cs.new.enums.values())
    )


def _seq_name(c: m.Column) -> str:
    return (c.identity_options or "").split(" START WITH ", 1)[0]


def _widening(old: str, new: str) -> bool:
    if new == "text" and (old.startswith("character") or old == "text"):
        return True
    if old in _INTS and new in _INTS:
        return _INTS.index(new) >= _INTS.index(old)
    a, b = _VARCHAR.match(old), _VARCHAR.match(new)
    return bool(a and b and int(b.group(1)) >= int(a.group(1)))

"""Differ for schemas, extensions, enums, domains and sequences."""

from __future__ import annotations

from bot.schema import model as m
from bot.schema import sqlgen
from bot.schema.changeset import ChangeSet, get_object
from bot.schema.model import Key
from bot.schema.ops import Statement
from bot.schema.quoting import qualified, quote_ident, quote_literal
from bot.schema.seqrange import Bounds, restart_for, restart_notes

__all__ = [
    "classify_types",
    "classify_owned_sequences",
    "classify_swapped_columns",
    "emit_types",
    "enum_strategy",
]

_USERS = frozenset({"default", "constraint", "index", "view", "policy", "trigger", "function"})


def enum_strategy(cs: ChangeSet, old: m.EnumType, new: m.EnumType) -> str:
    """How to turn ``old`` into ``new``: "same", "rename", "add" or "swap".

    Added values are only usable after commit, so when something this plan creates or
    changes refers to the type, the whole type is rebuilt (swap) instead.
    """
    a, b = old.labels, new.labels
    if a == b:
        return "same"
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1 and b[diffs[0]] not in a:
            return "rename"
    it = iter(b)
    if all(label in it for label in a):
        for dep in cs.rev_new.get(new.key, ()):
            if dep[0] in _USERS and get_object(cs.old, dep) != get_object(cs.new, dep):
                return "swap"
        return "add"
    return "swap"


def classify_types(cs: ChangeSet) -> None:
    old, new = cs.old, cs.new
    for coll_old, coll_new in (
        (old.namespaces, new.namespaces),
        (old.extensions, new.extensions),
        (old.enums, new.enums),
        (old.domains, new.domains),
        (old.sequences, new.sequences),
    ):
        cs.removed.update(k for k in coll_old if k not in coll_new)
    for key, en in old.enums.items():
        if key in new.enums and enum_strategy(cs, en, new.enums[key]) == "swap":
            cs.swapped.add(key)
    for key, dom in old.domains.items():
        nd = new.domains.get(key)
        if nd is not None and nd.base_type != dom.base_type:
            cs.replaced.add(key)


def _column(schema: m.Schema, ckey: Key) -> m.Column:
    table = schema.tables[("table", ckey[1], ckey[2])]
    return next(c for c in table.columns if c.name == ckey[3])


def classify_swapped_columns(cs: ChangeSet) -> None:
    """Columns of a rebuilt enum type (kept, same type on both sides) get cast to the new one."""
    if not cs.swapped:
        return
    names = {qualified(*key[1:]): key for key in cs.swapped}
    for tkey, table in cs.new.tables.items():
        otable = cs.old.tables.get(tkey)
        if otable is None or cs.gone(tkey) or table.parent:
            continue
        ocols = {c.name: c for c in otable.columns}
        for col in table.columns:
            oc = ocols.get(col.name)
            ckey = ("column", table.schema, table.name, col.name)
            if oc is None or oc.data_type != col.data_type or cs.gone(ckey) or ckey in cs.retyped:
                continue
            enum_key = names.get(col.data_type.removesuffix("[]"))
            if enum_key is not None:
                cs.swap_columns[ckey] = enum_key


def classify_owned_sequences(cs: ChangeSet) -> None:
    """A sequence whose owning column is dropped goes with it; rebuild it if still wanted."""
    for key, seq in cs.old.sequences.items():
        new = cs.new.sequences.get(key)
        same_owner = new is not None and new.owned_by == seq.owned_by
        if seq.owned_by and same_owner and _owner_gone(cs, seq.owned_by):
            cs.replaced.add(key)


def emit_types(cs: ChangeSet) -> None:
    _emit_namespaces(cs)
    _emit_extensions(cs)
    _emit_enums(cs)
    _emit_domains(cs)
    _emit_sequences(cs)


def _emit_namespaces(cs: ChangeSet) -> None:
    for key in sorted(cs.old.namespaces.keys() - cs.new.namespaces.keys()):
        name = quote_ident(key[1])
        cs.add(
            Statement(
                f"DROP SCHEMA {name}", name, "drop_schema", destructive=True, drops=frozenset({key})
            )
        )
    for key, ns in sorted(cs.new.namespaces.items()):
        name = quote_ident(ns.name)
        old = cs.old.namespaces.get(key)
        if old is None:
            cs.add(
                Statement(f"CREATE SCHEMA {name}", name, "create_schema", creates=frozenset({key}))
            )
        cs.add_comment(key, f"SCHEMA {name}", old and old.comment, ns.comment, fresh=old is None)


def _emit_extensions(cs: ChangeSet) -> None:
    for key in sorted(cs.old.extensions.keys() - cs.new.extensions.keys()):
        name = quote_ident(key[1])
        cs.add(
            Statement(
                f"DROP EXTENSION {name}",
                name,
                "drop_extension",
                destructive=True,
                drops=frozenset({key}),
            )
        )
    for key, ext in sorted(cs.new.extensions.items()):
        name = quote_ident(ext.name)
        old = cs.old.extensions.get(key)
        if old is None:
            sql = (
                f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {quote_ident(ext.schema)}"
                f" VERSION {quote_literal(ext.version)}"  # the server's default may differ
            )
            cs.add(
                Statement(
                    sql,
                    name,
                    "create_extension",
                    creates=frozenset({key}),
                    requires=frozenset({("schema", ext.schema)}),
                )
            )
        else:
            if old.schema != ext.schema:
                sql = f"ALTER EXTENSION {name} SET SCHEMA {quote_ident(ext.schema)}"
                cs.add(
                    Statement(
                        sql,
                        name,
                        "alter_extension",
                        creates=frozenset({key}),
                        requires=frozenset({("schema", ext.schema)}),
                    )
                )
            if old.version != ext.version:
                _update_extension(cs, old, ext)
        cs.add_comment(
            key, f"EXTENSION {name}", old and old.comment, ext.comment, fresh=old is None
        )


def _update_extension(cs: ChangeSet, old: m.Extension, new: m.Extension) -> None:
    """``ALTER EXTENSION ... UPDATE TO`` when the server has a path from the installed
    version (either direction, as the extension's scripts allow); else the difference is
    left unplanned."""
    name = quote_ident(new.name)
    if new.version in cs.old.extension_updates.get(old.key, ()):
        cs.add(
            Statement(
                f"ALTER EXTENSION {name} UPDATE TO {quote_literal(new.version)}",
                name,
                "alter_extension",
                creates=frozenset({new.key}),
            )
        )
    else:
        cs.unplan(
            "extension",
            name,
            f"installed version {old.version}, wanted {new.version}: this server has no "
            f"update path from {old.version} to {new.version}",
        )


def _emit_enums(cs: ChangeSet) -> None:
    for key in sorted(cs.old.enums.keys() - cs.new.enums.keys()):
        name = qualified(*key[1:])
        cs.add(
            Statement(
                f"DROP TYPE {name}", name, "drop_type", destructive=True, drops=frozenset({key})
            )
        )
    for key, en in sorted(cs.new.enums.items()):
        name = qualified(en.schema, en.name)
        old = cs.old.enums.get(key)
        if old is None:
            cs.add(Statement(sqlgen.create_enum(en), name, "create_type", creates=frozenset({key})))
        elif key in cs.swapped:
            _swap_enum(cs, old, en)
        else:
            strategy = enum_strategy(cs, old, en)
            if strategy == "rename":
                (i,) = [i for i in range(len(en.labels)) if old.labels[i] != en.labels[i]]
                sql = (
                    f"ALTER TYPE {name} RENAME VALUE {quote_literal(old.labels[i])} "
                    f"TO {quote_literal(en.labels[i])}"
                )
                cs.add(Statement(sql, name, "alter_type", creates=frozenset({key})))
            elif strategy == "add":
                _add_enum_values(cs, old, en)
        fresh = old is None or key in cs.swapped
        cs.add_comment(key, f"TYPE {name}", old and old.comment, en.comment, fresh=fresh)


def _add_enum_values(cs: ChangeSet, old: m.EnumType, new: m.EnumType) -> None:
    name = qualified(new.schema, new.name)
    steps = []
    for i, label in enumerate(new.labels):
        if label in old.labels:
            continue
        # Anchor on the previous label (old, or added just before), else on the first old one.
        if i > 0:
            where = f" AFTER {quote_literal(new.labels[i - 1])}"
        elif old.labels:
            where = f" BEFORE {quote_literal(old.labels[0])}"
        else:
            where = ""
        sql = f"ALTER TYPE {name} ADD VALUE {quote_literal(label)}{where}"
        steps.append(cs.add(Statement(sql, name, "alter_type", creates=frozenset({new.key}))))
    cs.chain(steps)


def _swap_enum(cs: ChangeSet, old: m.EnumType, new: m.EnumType) -> None:
    """Rebuild the type under its name and cast every column that uses it via text."""
    name = qualified(new.schema, new.name)
    tmp = f"{new.name[:50]}__old_align"
    steps = [
        cs.add(
            Statement(
                f"ALTER TYPE {name} RENAME TO {quote_ident(tmp)}",
                name,
                "rename_type",
                drops=frozenset({("typename", *new.key[1:])}),
            )
        ),
        cs.add(
            Statement(
                sqlgen.create_enum(new),
                name,
                "create_type",
                creates=frozenset({new.key, ("typename", *new.key[1:])}),
            )
        ),
    ]
    removed = set(old.labels) - set(new.labels)
    for ckey in sorted(k for k, t in cs.swap_columns.items() if t == new.key):
        _, schema, table, column = ckey
        data_type = _column(cs.new, ckey).data_type
        cast = "text[]" if data_type.endswith("[]") else "text"
        sql = (
            f"ALTER TABLE {qualified(schema, table)} ALTER COLUMN "
            f"{quote_ident(column)} TYPE {data_type} USING "
            f"{quote_ident(column)}::{cast}::{data_type}"
        )
        steps.append(
            cs.add(
                Statement(
                    sql,
                    f"{qualified(schema, table)}.{quote_ident(column)}",
                    "alter_column",
                    destructive=bool(removed),
                    drops=frozenset({ckey}),
                    creates=frozenset({ckey}),
                )
            )
        )
    steps.append(
        cs.add(
            Statement(
                f"DROP TYPE {qualified(new.schema, tmp)}",
                name,
                "drop_old_type",
                destructive=bool(removed),
                drops=frozenset({("oldtype", *old.key[1:])}),
            )
        )
    )
    cs.chain(steps)
    for dkey, dom in cs.old.domains.items():
        if dom.base_type.removesuffix("[]") == name and dkey not in cs.removed:
            cs.warnings.append(
                f"domain {qualified(*dkey[1:])} over enum {name} is not rebuilt by the enum swap"
            )


def _emit_domains(cs: ChangeSet) -> None:
    for key, dom in sorted(cs.old.domains.items()):
        if key not in cs.new.domains or key in cs.replaced:
            name = qualified(dom.schema, dom.name)
            cs.add(
                Statement(
                    f"DROP DOMAIN {name}",
                    name,
                    "drop_domain",
                    destructive=True,
                    drops=frozenset({key}),
                )
            )
    for key, dom in sorted(cs.new.domains.items()):
        name = qualified(dom.schema, dom.name)
        old = cs.old.domains.get(key)
        fresh = old is None or key in cs.replaced
        if fresh:
            cs.add(
                Statement(
                    sqlgen.create_domain(dom), name, "create_domain", creates=frozenset({key})
                )
            )
        else:
            _alter_domain(cs, old, dom)
        cs.add_comment(key, f"DOMAIN {name}", old and old.comment, dom.comment, fresh=fresh)
        ochecks = {} if fresh else {c.name: c for c in old.checks}
        for c in dom.checks:
            oc = ochecks.get(c.name)
            target = f"CONSTRAINT {quote_ident(c.name)} ON DOMAIN {name}"
            fresh_c = oc is None or oc.definition != c.definition
            cs.add_comment(key, target, oc and oc.comment, c.comment, fresh=fresh_c)


def _alter_domain(cs: ChangeSet, old: m.Domain, new: m.Domain) -> None:
    name = qualified(new.schema, new.name)
    out: list[tuple[str, bool]] = []  # (clause, drops: its old form goes, e.g. a check)
    if old.default != new.default:
        out.append(("DROP DEFAULT" if new.default is None else f"SET DEFAULT {new.default}", False))
    if old.not_null != new.not_null:
        out.append(("SET NOT NULL" if new.not_null else "DROP NOT NULL", False))
    ochecks = {c.name: c for c in old.checks}
    nchecks = {c.name: c for c in new.checks}
    for cname, c in sorted(ochecks.items()):
        if cname not in nchecks or nchecks[cname].definition != c.definition:
            out.append((f"DROP CONSTRAINT {quote_ident(cname)}", True))
    for cname, c in sorted(nchecks.items()):
        if cname not in ochecks or ochecks[cname].definition != c.definition:
            out.append((f"ADD CONSTRAINT {quote_ident(cname)} {c.definition}", False))
    if old.collation != new.collation:
        cs.warnings.append(f"domain {name}: collation change is not supported")
        cs.unplan("domain", name, "its collation differs; a domain's collation cannot be altered")
    for clause, drops in out:
        # Dropping a check releases what the old check used (a function about to be
        # dropped): the statement drops the domain's old form, so it runs before those drops.
        cs.add(
            Statement(
                f"ALTER DOMAIN {name} {clause}",
                name,
                "alter_domain",
                drops=frozenset({old.key}) if drops else frozenset(),
                creates=frozenset({new.key}),
            )
        )


def _emit_sequences(cs: ChangeSet) -> None:
    for key, seq in sorted(cs.old.sequences.items()):
        if key in cs.new.sequences and key not in cs.replaced:
            continue
        if seq.owned_by and _owner_gone(cs, seq.owned_by):
            continue  # dropped together with its owning column
        name = qualified(seq.schema, seq.name)
        cs.add(
            Statement(
                f"DROP SEQUENCE {name}",
                name,
                "drop_sequence",
                destructive=True,
                drops=frozenset({key}),
            )
        )
    for key, seq in sorted(cs.new.sequences.items()):
        name = qualified(seq.schema, seq.name)
        old = cs.old.sequences.get(key)
        fresh = old is None or key in cs.replaced
        if fresh:
            cs.add(
                Statement(
                    sqlgen.create_sequence(seq), name, "create_sequence", creates=frozenset({key})
                )
            )
        elif sqlgen.sequence_options(old) != sqlgen.sequence_options(seq):
            sql = f"ALTER SEQUENCE {name} {sqlgen.sequence_options(seq)}"
            restart = restart_for(_bounds(old), _bounds(seq), cs.old.sequence_values.get(key))
            if restart is not None:
                sql += f" {restart.clause}"
            cs.add(
                Statement(
                    sql,
                    name,
                    "alter_sequence",
                    destructive=restart is not None and restart.destructive,
                    creates=frozenset({key}),
                    notes=restart_notes(name, restart),
                )
            )
        old_owner = None if fresh else old.owned_by
        owner_key: Key = ("seqowner", seq.schema, seq.name)
        if seq.owned_by != old_owner:
            if seq.owned_by is None:
                target, op = "NONE", "drop_sequence_owner"
            else:
                s, t, c = seq.owned_by
                target, op = f"{qualified(s, t)}.{quote_ident(c)}", "create_sequence_owner"
            # Moving the owner releases the old one first; when the old owner is dropped by
            # this plan, that release must run on its own before the drop (see ``cycles``).
            moving = old_owner is not None and seq.owned_by is not None
            release = Statement(
                f"ALTER SEQUENCE {name} OWNED BY NONE",
                name,
                "drop_sequence_owner",
                drops=frozenset({owner_key}),
                requires=frozenset({key}),
            )
            cs.add(
                Statement(
                    f"ALTER SEQUENCE {name} OWNED BY {target}",
                    name,
                    op,
                    drops=frozenset({owner_key}) if old_owner else frozenset(),
                    creates=frozenset({owner_key}) if seq.owned_by else frozenset(),
                    requires=frozenset({key}),
                    detachable=(release,) if moving else (),
                )
            )
        cs.add_comment(key, f"SEQUENCE {name}", old and old.comment, seq.comment, fresh=fresh)


def _bounds(seq: m.Sequence) -> Bounds:
    return Bounds(seq.start, seq.increment, seq.minvalue, seq.maxvalue)


def _owner_gone(cs: ChangeSet, owned_by: tuple[str, str, str]) -> bool:
    s, t, c = owned_by
    return cs.table_gone(s, t) or cs.gone(("column", s, t, c))

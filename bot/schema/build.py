"""Turn catalog query rows (plain dicts) into the Schema model. Pure: no I/O.

Kept apart from introspection so a snapshot or a test can build a Schema from rows
without a database, and so the edges the catalog does not record (a column belongs to
its table, a partition to its parent, an owned sequence to its column) are added in
one place.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence

from bot.schema import model as m
from bot.schema import sqlgen
from bot.schema.gcpause import without_cyclic_gc
from bot.schema.model import Key

__all__ = ["build_schema", "row_key"]

Rows = Sequence[Mapping[str, object]]
RowSets = MutableMapping[str, Rows]


def row_key(kind: str, schema: str, name: str, sub: str) -> Key:
    """The model key for a (kind, schema, name, sub) row of depends.sql.

    Strings are interned: large schemas repeat the same names in many keys, and sharing
    one copy keeps two introspected 5,000-table schemas well inside the memory budget.
    """
    intern = sys.intern
    kind, schema = intern(kind), intern(schema)
    if kind in _SCHEMA_LEVEL:
        return (kind, schema)
    if kind in _RELATION_LEVEL:
        return (kind, schema, intern(name))
    return (kind, schema, intern(name), intern(sub))


_SCHEMA_LEVEL = frozenset({"schema", "extension"})
_RELATION_LEVEL = frozenset({"table", "view", "sequence", "index", "type", "collation"})


def _i(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


def _excluded(schema: str, table: str, patterns: Iterable[str]) -> bool:
    return any(p == table or p == f"{schema}.{table}" for p in patterns)


@without_cyclic_gc
def build_schema(
    rows: RowSets, *, server_version: int = 0, excluded_tables: Iterable[str] = ()
) -> m.Schema:
    """Build a Schema from the rows of each catalog query, dropping excluded tables.

    Consumes ``rows``: each query's rows are removed once used, so the raw rows of a large
    catalog are freed while the model is being built rather than after.
    """
    excluded = tuple(excluded_tables)
    # Excluded tables, and typed tables (the engine does not plan them: unsupported.sql names
    # them), are left out with everything on them.
    skip: set[tuple[str, str]] = {
        (str(r["schema"]), str(r["name"]))
        for r in rows["tables"]
        if _excluded(str(r["schema"]), str(r["name"]), excluded) or r.get("of_type")
    }
    s = m.Schema(server_version=server_version)
    for r in rows.pop("namespaces"):
        ns = m.Namespace(r["name"], r["comment"])
        s.namespaces[ns.key] = ns
    for r in rows.pop("extensions"):
        ext = m.Extension(r["name"], r["schema"], r["version"], r["comment"])
        s.extensions[ext.key] = ext
        s.extension_updates[ext.key] = tuple(r.get("update_targets") or ())
    _build_collations_and_composites(s, rows)
    for r in rows.pop("enums"):
        en = m.EnumType(r["schema"], r["name"], tuple(r["labels"]), r["comment"])
        s.enums[en.key] = en
    for r in rows.pop("domains"):
        checks = tuple(
            m.DomainCheck(n, d, c)
            for n, d, c in zip(r["check_names"], r["check_defs"], r["check_comments"], strict=True)
        )
        dom = m.Domain(
            r["schema"],
            r["name"],
            r["base_type"],
            r["not_null"],
            r["default"],
            r["collation"],
            checks,
            r["comment"],
        )
        s.domains[dom.key] = dom
    for r in rows.pop("sequences"):
        owned = None
        if r["owner_table"] is not None:
            if (r["owner_schema"], r["owner_table"]) in skip:
                continue
            owned = (r["owner_schema"], r["owner_table"], r["owner_column"])
        seq = m.Sequence(
            r["schema"],
            r["name"],
            r["data_type"],
            r["start"],
            r["increment"],
            r["minvalue"],
            r["maxvalue"],
            r["cache"],
            r["cycle"],
            owned,
            r["comment"],
        )
        s.sequences[seq.key] = seq
        if r.get("last_value") is not None:
            s.sequence_values[seq.key] = r["last_value"]
    _build_relations(s, rows, skip)
    _build_table_objects(s, rows, skip)
    s.unsupported = tuple(
        m.Unsupported(r["kind"], r["identity"], r["signature"] or "")
        for r in rows.pop("unsupported")
    )
    s.depends_on = _dependencies(s, rows.pop("depends"), skip)
    return s


def _build_collations_and_composites(s: m.Schema, rows: RowSets) -> None:
    for r in rows.pop("collations", ()):
        coll = m.Collation(
            r["schema"],
            r["name"],
            r["provider"],
            r["deterministic"],
            r["lc_collate"],
            r["lc_ctype"],
            r["locale"],
            r["rules"],
            r["comment"],
        )
        s.collations[coll.key] = coll
    for r in rows.pop("composites", ()):
        attrs = tuple(
            m.Attribute(n, t, c, d)
            for n, t, c, d in zip(
                r["attr_names"],
                r["attr_types"],
                r["attr_collations"],
                r["attr_comments"],
                strict=True,
            )
        )
        ct = m.CompositeType(r["schema"], r["name"], attrs, r["comment"])
        s.composites[ct.key] = ct


def _build_relations(s: m.Schema, rows: RowSets, skip: set[tuple[str, str]]) -> None:
    columns: dict[tuple[str, str], list[m.Column]] = defaultdict(list)
    view_comments: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    view_columns: dict[tuple[str, str], list[str]] = defaultdict(list)
    intern = sys.intern  # name, type and identity are never NULL
    rel: tuple[str, str] = ("", "")
    for r in rows.pop("columns"):
        if (r["table_name"], r["schema"]) != (rel[1], rel[0]):  # rows come table by table
            rel = (_i(r["schema"]), _i(r["table_name"]))
        if r["relkind"] in ("v", "m"):
            view_columns[rel].append(r["name"])
            if r["comment"] is not None:
                view_comments[rel].append((r["name"], r["comment"]))
            continue
        if r.get("identity_last_value") is not None:
            s.sequence_values[("column", *rel, r["name"])] = r["identity_last_value"]
        columns[rel].append(
            m.Column(
                intern(r["name"]),
                intern(r["data_type"]),
                r["not_null"],
                r["default"],
                intern(r["identity"]),
                r["identity_options"],
                r["generated"],
                _i(r["collation"]),
                r["comment"],
                r["is_local"],
                r["statistics"],
                r["storage"],
                r["type_storage"],
                r["compression"],
            )
        )
    for r in rows.pop("tables"):
        rel = (r["schema"], r["name"])
        if rel in skip:
            continue
        parent = None
        if r["parent_name"] is not None:
            parent = (r["parent_schema"], r["parent_name"])
        table = m.Table(
            schema=r["schema"],
            name=r["name"],
            columns=tuple(columns.get(rel, ())),
            partition_key=r["partition_key"],
            parent=parent,
            partition_bound=r["partition_bound"],
            unlogged=r["unlogged"],
            rls_enabled=r["rls_enabled"],
            rls_forced=r["rls_forced"],
            options=tuple(r["options"]),
            comment=r["comment"],
            inherits=tuple(zip(r["inherit_schemas"], r["inherit_names"], strict=True)),
            replica_identity=r["replica_identity"],
            replica_index=r["replica_index"],
        )
        s.tables[table.key] = table
    for r in rows.pop("views"):
        rel = (r["schema"], r["name"])
        view = m.View(
            r["schema"],
            r["name"],
            r["materialized"],
            r["definition"],
            tuple(r["options"]),
            tuple(view_comments.get(rel, ())),
            r["comment"],
            tuple(view_columns.get(rel, ())),
        )
        s.views[view.key] = view


def _build_table_objects(s: m.Schema, rows: RowSets, skip: set[tuple[str, str]]) -> None:
    for r in rows.pop("constraints"):
        if (r["schema"], r["table_name"]) in skip:
            continue
        con = m.Constraint(
            _i(r["schema"]),
            _i(r["table_name"]),
            _i(r["name"]),
            _i(r["kind"]),
            r["definition"],
            r["comment"],
        )
        s.constraints[con.key] = con
    for r in rows.pop("indexes"):
        if (r["schema"], r["table_name"]) in skip:
            continue
        idx = m.Index(
            _i(r["schema"]),
            _i(r["name"]),
            _i(r["table_name"]),
            r["definition"],
            r["comment"],
            r["valid"],
            (r["parent_index_schema"], r["parent_index_name"])
            if r["parent_index_name"] is not None
            else None,
        )
        s.indexes[idx.key] = idx
    for r in rows.pop("functions"):
        fn = m.Function(
            r["schema"],
            r["name"],
            r["identity_args"],
            r["kind"],
            r["arguments"],
            r["result"],
            r["definition"],
            r["comment"],
        )
        s.functions[fn.key] = fn
    for r in rows.pop("aggregates", ()):
        agg = m.Function(
            r["schema"],
            r["name"],
            r["identity_args"],
            "a",
            r["arguments"],
            r["result"],
            sqlgen.create_aggregate(r),
            r["comment"],
        )
        s.functions[agg.key] = agg
    for r in rows.pop("triggers"):
        if (r["schema"], r["table_name"]) in skip:
            continue
        tg = m.Trigger(
            r["schema"], r["table_name"], r["name"], r["definition"], r["enabled"], r["comment"]
        )
        s.triggers[tg.key] = tg
    for r in rows.pop("policies"):
        if (r["schema"], r["table_name"]) in skip:
            continue
        pol = m.Policy(
            r["schema"],
            r["table_name"],
            r["name"],
            r["permissive"],
            r["command"],
            tuple(r["roles"]),
            r["using_expr"],
            r["check_expr"],
            r["comment"],
        )
        s.policies[pol.key] = pol


def _key_parser() -> Callable[[str], Key]:
    """A parser of depends.sql's "kind<US>schema<US>name<US>sub" texts that returns one
    shared key per distinct text: a table's key is referenced by every edge into it."""
    seen: dict[str, Key] = {}

    def parse(text: str) -> Key:
        key = seen.get(text)
        if key is None:
            key = seen[text] = row_key(*text.split("\x1f"))
        return key

    return parse


def _dependencies(
    s: m.Schema, rows: Rows, skip: set[tuple[str, str]]
) -> dict[Key, tuple[Key, ...]]:
    deps: dict[Key, set[Key]] = defaultdict(set)
    parse = _key_parser()
    for r in rows:
        a, b = parse(r["obj"]), parse(r["ref"])
        if a != b:
            deps[a].add(b)
    # Edges the catalog keeps implicit (or internal) but ordering needs.
    for key, t in s.tables.items():
        deps[key].add(("schema", t.schema))
        if t.parent:
            deps[key].add(("table", *t.parent))
        for parent in t.inherits:
            deps[key].add(("table", *parent))
        for c in t.columns:
            deps[("column", t.schema, t.name, c.name)].add(key)
            if c.default is not None:
                deps[("default", t.schema, t.name, c.name)].add(
                    ("column", t.schema, t.name, c.name)
                )
    for coll in (s.constraints, s.triggers, s.policies):
        for key, obj in coll.items():
            deps[key].add(("table", obj.schema, obj.table))
    for key, idx in s.indexes.items():
        rel = ("table", idx.schema, idx.table)
        deps[key].add(rel if rel in s.tables else ("view", idx.schema, idx.table))
    for coll in (s.collations, s.enums, s.domains, s.composites, s.sequences, s.views, s.functions):
        for key, obj in coll.items():
            deps[key].add(("schema", obj.schema))
    for key, seq in s.sequences.items():
        if seq.owned_by:
            owner: Key = ("seqowner", seq.schema, seq.name)
            deps[owner] |= {key, ("column", *seq.owned_by)}
            deps[key].discard(("column", *seq.owned_by))
    for key, ext in s.extensions.items():
        deps[key].add(("schema", ext.schema))
    for key, view in s.views.items():
        for col in view.columns:
            deps[("column", view.schema, view.name, col)].add(key)
    out: dict[Key, tuple[Key, ...]] = {}
    for key, refs in deps.items():
        refs.discard(key)
        if skip:  # drop edges touching excluded tables
            if _touches(key, skip):
                continue
            refs = {k for k in refs if not _touches(k, skip)}
        if refs:
            out[key] = tuple(refs) if len(refs) == 1 else tuple(sorted(refs))
    return out


def _touches(key: Key, skip: set[tuple[str, str]]) -> bool:
    return (
        len(key) >= 3
        and key[0] in ("table", "column", "default", "constraint", "trigger", "policy")
        and (key[1], key[2]) in skip
    )

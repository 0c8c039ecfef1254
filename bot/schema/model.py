"""The schema model: frozen, hashable values that describe one database's schema.

Introspection fills it, the differ compares two of them, and a snapshot stores one
as JSON. Definitions that PostgreSQL can print itself (constraints, indexes, views,
functions, triggers) are kept as the server's canonical text, so two databases on the
same server version compare by plain string equality.

Every object has a ``key``: a tuple ``(kind, schema, name[, sub])`` that is stable
across databases. Keys are what the dependency graph and the differ work with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Key",
    "Extension",
    "Namespace",
    "EnumType",
    "Attribute",
    "CompositeType",
    "Collation",
    "DomainCheck",
    "Domain",
    "Sequence",
    "Column",
    "Table",
    "Constraint",
    "Index",
    "View",
    "Function",
    "Trigger",
    "Policy",
    "Unsupported",
    "Schema",
]

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("schema", self.name)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str
    version: str
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("extension", self.name)


@dataclass(frozen=True, slots=True)
class EnumType:
    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("type", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    data_type: str  # format_type text, schema-qualified for user types
    collation: str | None = None  # only when different from the type's default
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeType:
    """``CREATE TYPE name AS (...)``; row types of tables and views are not modelled here."""

    schema: str
    name: str
    attributes: tuple[Attribute, ...]
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("type", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Collation:
    schema: str
    name: str
    provider: str  # c (libc), i (icu)
    deterministic: bool
    lc_collate: str | None  # libc (and ICU before PostgreSQL 15)
    lc_ctype: str | None
    locale: str | None  # ICU locale (PostgreSQL 15 and later)
    rules: str | None = None  # ICU tailoring rules (PostgreSQL 16 and later)
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("collation", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class DomainCheck:
    name: str
    definition: str  # pg_get_constraintdef text, e.g. "CHECK ((VALUE > 0))"
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Domain:
    schema: str
    name: str
    base_type: str
    not_null: bool
    default: str | None
    collation: str | None
    checks: tuple[DomainCheck, ...]
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("type", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Sequence:
    schema: str
    name: str
    data_type: str
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cache: int
    cycle: bool
    owned_by: tuple[str, str, str] | None  # (schema, table, column)
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("sequence", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    data_type: str  # format_type text, schema-qualified for user types
    not_null: bool
    default: str | None
    identity: str  # "" | "a" (ALWAYS) | "d" (BY DEFAULT)
    identity_options: str | None  # sequence options of the identity, canonical text
    generated: str | None  # generation expression of a STORED generated column
    collation: str | None  # only when different from the type's default
    comment: str | None = None
    local: bool = True  # attislocal: declared by the table itself, not only inherited
    statistics: int | None = None  # SET STATISTICS target; None = the server default
    storage: str | None = None  # PLAIN/MAIN/EXTERNAL/EXTENDED, only when not the type's own
    type_storage: str | None = None  # the type's own storage, to reset to (when storage is set)
    compression: str | None = None  # pglz/lz4 when set on the column


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    partition_key: str | None = None  # pg_get_partkeydef for partitioned tables
    parent: tuple[str, str] | None = None  # (schema, name) when this is a partition
    partition_bound: str | None = None  # "FOR VALUES ..." / "DEFAULT"
    unlogged: bool = False
    rls_enabled: bool = False
    rls_forced: bool = False
    options: tuple[str, ...] = ()
    comment: str | None = None
    inherits: tuple[tuple[str, str], ...] = ()  # plain-inheritance parents, in INHERITS order
    replica_identity: str = "d"  # relreplident: d(efault), f(ull), n(othing), i(ndex)
    replica_index: str | None = None  # index name when replica_identity is "i"

    @property
    def key(self) -> Key:
        return ("table", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Constraint:
    schema: str
    table: str
    name: str
    kind: str  # p, u, c, f, x
    definition: str  # pg_get_constraintdef
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("constraint", self.schema, self.table, self.name)


@dataclass(frozen=True, slots=True)
class Index:
    schema: str
    name: str
    table: str
    definition: str  # pg_get_indexdef
    comment: str | None = None
    valid: bool = True  # False after e.g. a failed CREATE INDEX CONCURRENTLY: drift to repair
    parent_index: tuple[str, str] | None = None  # (schema, name) of the index it is attached to

    @property
    def key(self) -> Key:
        return ("index", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class View:
    schema: str
    name: str
    materialized: bool
    definition: str  # pg_get_viewdef
    options: tuple[str, ...] = ()
    column_comments: tuple[tuple[str, str], ...] = ()
    comment: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def key(self) -> Key:
        return ("view", self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Function:
    schema: str
    name: str
    identity_args: str  # pg_get_function_identity_arguments
    kind: str  # f (function), p (procedure), w (window) or a (aggregate)
    arguments: str  # pg_get_function_arguments (names, defaults)
    result: str | None  # pg_get_function_result
    definition: str  # pg_get_functiondef; CREATE AGGREGATE text for aggregates (``sqlgen``)
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("function", self.schema, self.name, self.identity_args)


@dataclass(frozen=True, slots=True)
class Trigger:
    schema: str
    table: str
    name: str
    definition: str  # pg_get_triggerdef
    enabled: str  # O, D, R, A
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("trigger", self.schema, self.table, self.name)


@dataclass(frozen=True, slots=True)
class Policy:
    schema: str
    table: str
    name: str
    permissive: bool
    command: str  # ALL, SELECT, INSERT, UPDATE, DELETE
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("policy", self.schema, self.table, self.name)


@dataclass(frozen=True, slots=True)
class Unsupported:
    """An object of a kind the engine does not diff, kept so it can be named in a warning."""

    kind: str
    identity: str
    signature: str = ""


@dataclass(slots=True)
class Schema:
    """One database's schema. Dicts are keyed by each object's ``key``."""

    namespaces: dict[Key, Namespace] = field(default_factory=dict)
    extensions: dict[Key, Extension] = field(default_factory=dict)
    collations: dict[Key, Collation] = field(default_factory=dict)
    enums: dict[Key, EnumType] = field(default_factory=dict)
    domains: dict[Key, Domain] = field(default_factory=dict)
    composites: dict[Key, CompositeType] = field(default_factory=dict)
    sequences: dict[Key, Sequence] = field(default_factory=dict)
    tables: dict[Key, Table] = field(default_factory=dict)
    constraints: dict[Key, Constraint] = field(default_factory=dict)
    indexes: dict[Key, Index] = field(default_factory=dict)
    views: dict[Key, View] = field(default_factory=dict)
    functions: dict[Key, Function] = field(default_factory=dict)
    triggers: dict[Key, Trigger] = field(default_factory=dict)
    policies: dict[Key, Policy] = field(default_factory=dict)
    unsupported: tuple[Unsupported, ...] = ()
    # object key -> keys it depends on (from pg_depend plus model-derived edges)
    depends_on: dict[Key, tuple[Key, ...]] = field(default_factory=dict)  # sorted refs
    server_version: int = 0
    # Current value of each sequence that has issued one: free-standing ones by sequence key,
    # identity ones by column key. State, not schema: never compared, never fingerprinted; the
    # differ reads it only to keep a RESTART inside new bounds (``seqrange``).
    sequence_values: dict[Key, int] = field(default_factory=dict)
    # Versions each installed extension can be updated to on this server (from
    # pg_extension_update_paths). State of the server's extension files, not schema: never
    # compared, never fingerprinted; the differ reads it to plan ALTER EXTENSION ... UPDATE.
    extension_updates: dict[Key, tuple[str, ...]] = field(default_factory=dict)

    def type_key(self, schema: str, name: str) -> Key | None:
        """Key of a user type (enum, domain or composite) named ``schema.name``, if modelled."""
        key: Key = ("type", schema, name)
        found = key in self.enums or key in self.domains or key in self.composites
        return key if found else None

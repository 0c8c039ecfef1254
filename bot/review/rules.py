"""Statement rules: one small function per statement kind, registered by parse-tree node type.

``apply_rules(node, ctx)`` runs the rule registered for the node's type (the registry is in
``registry.py``; ALTER TABLE actions live in ``altertable.py``; maintenance, locking and
cluster-wide statements in ``rules_maintenance.py``; transaction control in ``txncontrol.py``).
A statement with no rule is SAFE by default: the tiers list what is *not* safe, and everything
the grammar accepted that no rule knows is an ordinary, additive statement.
Nothing here raises for "unsafe": rules only append findings and hazards to the context.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

# rules_maintenance and txncontrol are imported for their side effect: they register their rules
# in the same registry.
from bot.review import rules_maintenance, txncontrol  # noqa: F401
from bot.review.altertable import check_alter_table, restart_finding
from bot.review.context import StatementContext
from bot.review.hazards import Code, HazardKind, LockLevel
from bot.review.names import object_text, qualify, quote_ident, rangevar_text
from bot.review.registry import apply_rules, rule

__all__ = ["apply_rules"]

_DROP_CODES = {
    ObjectType.OBJECT_TABLE: Code.DROP_TABLE,
    ObjectType.OBJECT_SCHEMA: Code.DROP_SCHEMA,
    ObjectType.OBJECT_TYPE: Code.DROP_TYPE,
    ObjectType.OBJECT_DOMAIN: Code.DROP_TYPE,
    ObjectType.OBJECT_VIEW: Code.DROP_VIEW,
    ObjectType.OBJECT_MATVIEW: Code.DROP_MATERIALIZED_VIEW,
    ObjectType.OBJECT_FUNCTION: Code.DROP_FUNCTION,
    ObjectType.OBJECT_ROUTINE: Code.DROP_FUNCTION,
    ObjectType.OBJECT_PROCEDURE: Code.DROP_PROCEDURE,
    ObjectType.OBJECT_SEQUENCE: Code.DROP_SEQUENCE,
    ObjectType.OBJECT_INDEX: Code.DROP_INDEX,
}
_CASCADES = {
    ObjectType.OBJECT_TABLE: "views, and foreign keys in other tables, that depend on it",
    ObjectType.OBJECT_SCHEMA: "every table, view, type and function in the schema, with data",
    ObjectType.OBJECT_TYPE: "columns of this type (with their data) and functions using it",
    ObjectType.OBJECT_DOMAIN: "columns of this domain (with their data)",
    ObjectType.OBJECT_VIEW: "views built on it",
    ObjectType.OBJECT_MATVIEW: "views built on it",
    ObjectType.OBJECT_FUNCTION: "triggers, defaults, views and constraints that call it",
    ObjectType.OBJECT_SEQUENCE: "column defaults that use it",
    ObjectType.OBJECT_EXTENSION: "every object of the extension, and columns using its types",
}


def _kind_words(kind: ObjectType) -> str:
    return (
        kind.name.removeprefix("OBJECT_").replace("MATVIEW", "MATERIALIZED VIEW").replace("_", " ")
    )


@rule(ast.DropStmt)
def _drop(node: ast.DropStmt, ctx: StatementContext) -> None:
    kind = node.removeType
    words = _kind_words(kind)
    ctx.kind = f"DROP {words}"
    code = _DROP_CODES.get(kind, Code.DROP_OBJECT)
    for obj in node.objects or ():
        name = object_text(obj, kind.name, ctx.default_schema)
        ctx.touch(name)
        if kind == ObjectType.OBJECT_INDEX:
            _drop_index(node, name, ctx)
        else:
            ctx.find(code, name, f"{words.lower()} {name} is dropped" + _data_note(kind))
        if kind == ObjectType.OBJECT_TABLE:
            ctx.details.setdefault("dropped_tables", []).append(name)
            ctx.lock(name, LockLevel.ACCESS_EXCLUSIVE)
            ctx.state.created_tables.discard(name)
        if node.behavior == DropBehavior.DROP_CASCADE:
            what = _CASCADES.get(kind, "every object that depends on it")
            ctx.find(
                Code.CASCADE,
                name,
                f"CASCADE also drops {what}",
                "drop dependents explicitly, or list them with --against",
            )


def _data_note(kind: ObjectType) -> str:
    if kind == ObjectType.OBJECT_TABLE:
        return " with all its rows"
    if kind == ObjectType.OBJECT_MATVIEW:
        return " with its stored rows"
    return ""


def _drop_index(node: ast.DropStmt, name: str, ctx: StatementContext) -> None:
    if node.concurrent:
        ctx.find(Code.DROP_INDEX, name, f"index {name} is dropped; queries using it slow down")
        ctx.non_transactional(name, "DROP INDEX CONCURRENTLY")
        return
    ctx.find(
        Code.DROP_INDEX,
        name,
        f"index {name} is dropped under ACCESS EXCLUSIVE on its table; queries using it slow down",
        "DROP INDEX CONCURRENTLY (outside a transaction)",
    )
    ctx.hazard(
        HazardKind.LOCK,
        name,
        "ACCESS EXCLUSIVE on the index's table",
        lock=LockLevel.ACCESS_EXCLUSIVE,
    )


@rule(ast.TruncateStmt)
def _truncate(node: ast.TruncateStmt, ctx: StatementContext) -> None:
    ctx.kind = "TRUNCATE"
    for rv in node.relations or ():
        table = rangevar_text(rv, ctx.default_schema)
        ctx.touch(table)
        ctx.find(Code.TRUNCATE, table, f"every row of {table} is deleted")
        ctx.details.setdefault("truncated", []).append(table)
        ctx.lock(table, LockLevel.ACCESS_EXCLUSIVE)
        if node.behavior == DropBehavior.DROP_CASCADE:
            ctx.find(
                Code.CASCADE,
                table,
                f"CASCADE also truncates every table with a foreign key to {table}",
                "truncate the referencing tables explicitly",
            )


@rule(ast.DeleteStmt)
def _delete(node: ast.DeleteStmt, ctx: StatementContext) -> None:
    ctx.kind = "DELETE"
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    scope = "the rows matching the WHERE clause" if node.whereClause is not None else "every row"
    what = f"{scope} of {table}"
    ctx.find(Code.DELETE_ROWS, table, f"{what} are deleted")
    ctx.details.update(table=table, where=node.whereClause)
    ctx.lock(table, LockLevel.ROW_EXCLUSIVE)


@rule(ast.UpdateStmt)
def _update(node: ast.UpdateStmt, ctx: StatementContext) -> None:
    ctx.kind = "UPDATE"
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    cols = ", ".join(quote_ident(t.name) for t in node.targetList or () if t.name)
    scope = "every row" if node.whereClause is None else "matching rows"
    ctx.find(Code.UPDATE_ROWS, table, f"{cols} overwritten in {scope} of {table}")
    ctx.details.update(table=table, where=node.whereClause)
    ctx.lock(table, LockLevel.ROW_EXCLUSIVE)


@rule(ast.InsertStmt)
def _insert(node: ast.InsertStmt, ctx: StatementContext) -> None:
    ctx.kind = "INSERT"
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    ctx.lock(table, LockLevel.ROW_EXCLUSIVE)


@rule(ast.IndexStmt)
def _create_index(node: ast.IndexStmt, ctx: StatementContext) -> None:
    table = rangevar_text(node.relation, ctx.default_schema)
    schema = node.relation.schemaname or ctx.default_schema
    index = qualify((schema, node.idxname), ctx.default_schema) if node.idxname else "(unnamed)"
    ctx.kind = "CREATE UNIQUE INDEX" if node.unique else "CREATE INDEX"
    ctx.touch(index)
    ctx.touch(table)
    ctx.details.update(index=node, table=table)
    if node.concurrent:
        ctx.lock(table, LockLevel.SHARE_UPDATE_EXCLUSIVE, "concurrent build, writes continue")
        ctx.non_transactional(
            index,
            "CREATE INDEX CONCURRENTLY"
            + (" (fails, leaving an INVALID index, if duplicates exist)" if node.unique else ""),
        )
        return
    if ctx.is_new(table):
        return
    code = Code.UNIQUE_INDEX_BLOCKS_WRITES if node.unique else Code.INDEX_BLOCKS_WRITES
    fails = "; fails if duplicates exist" if node.unique else ""
    ctx.find(
        code,
        index,
        f"building {index} blocks writes to {table} (SHARE lock) for the whole build{fails}",
        "CREATE INDEX CONCURRENTLY, outside a transaction",
    )
    ctx.lock(table, LockLevel.SHARE, "index build")
    ctx.hazard(HazardKind.INDEX_BUILD, table, f"{index} is built while writes wait")


@rule(ast.CreateStmt)
def _create_table(node: ast.CreateStmt, ctx: StatementContext) -> None:
    ctx.kind = "CREATE TABLE"
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    for elt in node.tableElts or ():
        constraints = elt.constraints if isinstance(elt, ast.ColumnDef) else (elt,)
        for con in constraints or ():
            if isinstance(con, ast.Constraint) and con.pktable is not None:
                parent = rangevar_text(con.pktable, ctx.default_schema)
                ctx.touch(parent)
                ctx.lock(parent, LockLevel.SHARE_ROW_EXCLUSIVE, f"referenced by {table}")
    for parent in node.inhRelations or ():
        if isinstance(parent, ast.RangeVar):
            name = rangevar_text(parent, ctx.default_schema)
            ctx.touch(name)
            lock = (
                LockLevel.ACCESS_EXCLUSIVE if node.partbound else LockLevel.SHARE_UPDATE_EXCLUSIVE
            )
            ctx.lock(name, lock, f"{table} becomes its child")
    ctx.state.created_tables.add(table)


@rule(ast.CreateTableAsStmt)
def _create_table_as(node: ast.CreateTableAsStmt, ctx: StatementContext) -> None:
    is_matview = node.objtype == ObjectType.OBJECT_MATVIEW
    ctx.kind = "CREATE MATERIALIZED VIEW" if is_matview else "CREATE TABLE AS"
    table = rangevar_text(node.into.rel, ctx.default_schema)
    ctx.touch(table)
    ctx.state.created_tables.add(table)


@rule(ast.AlterTableStmt)
def _alter_table(node: ast.AlterTableStmt, ctx: StatementContext) -> None:
    ctx.kind = f"ALTER {_kind_words(node.objtype)}"
    check_alter_table(node, ctx)


_RENAMED_RELATIONS = {
    ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_FOREIGN_TABLE,
}  # fmt: skip
_RENAMED_OTHERS = {
    ObjectType.OBJECT_SCHEMA, ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE,
    ObjectType.OBJECT_ROUTINE,
}  # fmt: skip


@rule(ast.RenameStmt)
def _rename(node: ast.RenameStmt, ctx: StatementContext) -> None:
    kind = node.renameType
    ctx.kind = f"RENAME {_kind_words(kind)}"
    new = quote_ident(node.newname)
    if node.relation is not None:
        table = rangevar_text(node.relation, ctx.default_schema)
        ctx.touch(table)
        ctx.lock(table, LockLevel.ACCESS_EXCLUSIVE)
        if kind in _RENAMED_RELATIONS:
            _rename_relation(node, table, new, ctx)
        elif kind == ObjectType.OBJECT_COLUMN and not ctx.is_new(table):
            col = f"{table}.{quote_ident(node.subname)}"
            ctx.find(
                Code.RENAME_COLUMN,
                col,
                f"column {col} is renamed to {new}; running code using the old name breaks",
                "add the new column, dual-write, then drop the old one",
            )
        return
    if kind in _RENAMED_OTHERS:
        name = object_text(node.object, kind.name, ctx.default_schema)
        ctx.touch(name)
        ctx.find(
            Code.RENAME_OBJECT,
            name,
            f"{_kind_words(kind).lower()} {name} is renamed to {new}; code using it breaks",
        )
    elif node.object is not None:
        ctx.touch(object_text(node.object, kind.name, ctx.default_schema))


def _rename_relation(node: ast.RenameStmt, table: str, new: str, ctx: StatementContext) -> None:
    schema = node.relation.schemaname or ctx.default_schema
    renamed = qualify((schema, node.newname), ctx.default_schema)
    if ctx.is_new(table):
        ctx.state.created_tables.discard(table)
        ctx.state.created_tables.add(renamed)
        return
    ctx.find(
        Code.RENAME_TABLE,
        table,
        f"{table} is renamed to {new}; running code using the old name breaks",
        "rename in a release that no longer uses the old name, or leave a view behind",
    )


@rule(ast.AlterObjectSchemaStmt)
def _set_schema(node: ast.AlterObjectSchemaStmt, ctx: StatementContext) -> None:
    kind = node.objectType
    ctx.kind = f"ALTER {_kind_words(kind)} SET SCHEMA"
    if node.relation is not None:
        name = rangevar_text(node.relation, ctx.default_schema)
    else:
        name = object_text(node.object, kind.name, ctx.default_schema)
    ctx.touch(name)
    code = Code.RENAME_TABLE if kind in _RENAMED_RELATIONS else Code.RENAME_OBJECT
    if not ctx.is_new(name):
        ctx.find(code, name, f"{name} moves to schema {quote_ident(node.newschema)}; code using "
                 "the old qualified name breaks")  # fmt: skip


@rule(ast.CreateSeqStmt)
def _create_sequence(node: ast.CreateSeqStmt, ctx: StatementContext) -> None:
    name = rangevar_text(node.sequence, ctx.default_schema)
    ctx.touch(name)
    ctx.state.created_tables.add(name)  # a relation of this script: nothing uses it yet


@rule(ast.AlterSeqStmt)
def _alter_sequence(node: ast.AlterSeqStmt, ctx: StatementContext) -> None:
    name = rangevar_text(node.sequence, ctx.default_schema)
    ctx.touch(name)
    if not ctx.is_new(name):
        restart_finding(name, "sequence", node.options, ctx)


@rule(ast.CreateEnumStmt)
def _create_enum(node: ast.CreateEnumStmt, ctx: StatementContext) -> None:
    ctx.kind = "CREATE TYPE"
    name = qualify([s.sval for s in node.typeName], ctx.default_schema)
    ctx.touch(name)
    ctx.state.created_enums[name] = tuple(v.sval for v in node.vals or ())


@rule(ast.AlterEnumStmt)
def _alter_enum(node: ast.AlterEnumStmt, ctx: StatementContext) -> None:
    name = qualify([s.sval for s in node.typeName], ctx.default_schema)
    ctx.touch(name)
    if node.oldVal is not None:
        ctx.kind = "ALTER TYPE RENAME VALUE"
        ctx.find(
            Code.RENAME_ENUM_VALUE,
            name,
            f"enum value '{node.oldVal}' of {name} becomes '{node.newVal}'; code writing the old "
            "value breaks",
        )
        return
    ctx.kind = "ALTER TYPE ADD VALUE"
    if name in ctx.state.created_enums:
        ctx.state.created_enums[name] += (node.newVal,)


@rule(ast.DoStmt, ast.CallStmt)
def _opaque(node: ast.Node, ctx: StatementContext) -> None:
    ctx.kind = "DO" if isinstance(node, ast.DoStmt) else "CALL"
    ctx.find(
        Code.OPAQUE_CODE,
        ctx.kind,
        f"{ctx.kind} runs procedural code the analyzer cannot see into; review it by hand",
    )


@rule(ast.CreateTrigStmt)
def _create_trigger(node: ast.CreateTrigStmt, ctx: StatementContext) -> None:
    ctx.kind = "CREATE TRIGGER"
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    ctx.lock(table, LockLevel.SHARE_ROW_EXCLUSIVE, "trigger creation")

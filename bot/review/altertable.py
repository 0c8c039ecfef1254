"""Rules for the actions inside one ALTER TABLE (one small function per action kind).

``check_alter_table`` runs every action's rule, then records the single strongest lock the
statement takes (PostgreSQL takes the strongest lock any of its actions needs, per the ALTER TABLE
documentation). Actions on a table created earlier in the script cannot fail on existing rows or
block anyone, so only the destructive rules fire for them.
"""

from __future__ import annotations

from collections.abc import Callable

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, DropBehavior, ObjectType

from bot.review.context import StatementContext
from bot.review.hazards import Code, HazardKind, LockLevel
from bot.review.names import deparse, quote_ident, rangevar_text, type_text
from bot.review.volatility import is_volatile

__all__ = ["check_alter_table"]

Action = Callable[[ast.AlterTableCmd, str, StatementContext], LockLevel]
_ACTIONS: dict[AT, Action] = {}

_SHARE_UPDATE_EXCLUSIVE_ACTIONS = {
    AT.AT_SetStatistics, AT.AT_SetOptions, AT.AT_ResetOptions, AT.AT_ClusterOn,
    AT.AT_DropCluster, AT.AT_SetRelOptions, AT.AT_ResetRelOptions, AT.AT_AttachPartition,
}  # fmt: skip
_SHARE_ROW_EXCLUSIVE_ACTIONS = {
    AT.AT_EnableTrig, AT.AT_EnableAlwaysTrig, AT.AT_EnableReplicaTrig, AT.AT_DisableTrig,
    AT.AT_EnableTrigAll, AT.AT_DisableTrigAll, AT.AT_EnableTrigUser, AT.AT_DisableTrigUser,
    AT.AT_AlterConstraint,
}  # fmt: skip
_REWRITE_ACTIONS = {
    AT.AT_SetLogged: "SET LOGGED",
    AT.AT_SetUnLogged: "SET UNLOGGED",
    AT.AT_SetTableSpace: "SET TABLESPACE",
    AT.AT_SetAccessMethod: "SET ACCESS METHOD",
    AT.AT_SetExpression: "SET EXPRESSION",
}


def action(*subtypes: AT) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        for subtype in subtypes:
            _ACTIONS[subtype] = fn
        return fn

    return register


def check_alter_table(node: ast.AlterTableStmt, ctx: StatementContext) -> None:
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    ctx.details["table"] = table
    if node.objtype == ObjectType.OBJECT_TYPE:  # ALTER TYPE ... ATTRIBUTE: a composite type
        ctx.details["composite_type"] = True
    strongest = LockLevel.ACCESS_SHARE
    for cmd in node.cmds or ():
        rule = _ACTIONS.get(cmd.subtype, _default_action)
        level = rule(cmd, table, ctx)
        strongest = max(strongest, level, key=lambda lvl: lvl.rank)
    if strongest is not LockLevel.ACCESS_SHARE:
        ctx.lock(table, strongest)


def _default_action(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    if cmd.subtype in _SHARE_UPDATE_EXCLUSIVE_ACTIONS:
        return LockLevel.SHARE_UPDATE_EXCLUSIVE
    if cmd.subtype in _SHARE_ROW_EXCLUSIVE_ACTIONS:
        return LockLevel.SHARE_ROW_EXCLUSIVE
    return LockLevel.ACCESS_EXCLUSIVE


def _column(table: str, name: str | None) -> str:
    return f"{table}.{quote_ident(name or '?')}"


def _cascade(cmd: ast.AlterTableCmd, obj: str, ctx: StatementContext, what: str) -> None:
    if cmd.behavior == DropBehavior.DROP_CASCADE:
        ctx.find(Code.CASCADE, obj, f"CASCADE also drops {what}", "drop dependents explicitly")


@action(AT.AT_DropColumn)
def _drop_column(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    col = _column(table, cmd.name)
    if ctx.details.get("composite_type"):
        message = f"attribute {col} is dropped, with its values in every stored row of the type"
    else:
        message = f"column {col} and all its values are dropped"
    ctx.find(Code.DROP_COLUMN, col, message)
    ctx.details.setdefault("dropped_columns", []).append(quote_ident(cmd.name or "?"))
    _cascade(cmd, col, ctx, "indexes, constraints and views that use the column")
    return LockLevel.ACCESS_EXCLUSIVE


@action(AT.AT_AlterColumnType)
def _alter_type(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    col = _column(table, cmd.name)
    coldef = cmd.def_
    new_type = type_text(coldef.typeName, ctx.default_schema) if coldef else "?"
    using = " (converted by its USING expression)" if coldef and coldef.raw_default else ""
    ctx.find(
        Code.ALTER_COLUMN_TYPE,
        col,
        f"column {col} changes type to {new_type}{using}; every value is converted and the "
        "table and its indexes are rewritten (values may change or the statement may fail)",
        "add a new column, backfill it in batches, then switch over",
    )
    ctx.details.setdefault("type_changes", []).append(quote_ident(cmd.name or "?"))
    if not ctx.is_new(table):
        ctx.hazard(HazardKind.TABLE_REWRITE, table, f"{table} is rewritten (ALTER COLUMN TYPE)")
    labels = ctx.state.created_enums.get(new_type)
    if labels is not None:
        ctx.find(
            Code.ENUM_TYPE_SWAP,
            col,
            f"column {col} moves to enum {new_type} ({', '.join(labels)}); values of the old "
            "type missing from it are removed, and rows still holding them make this fail",
            "update rows holding removed values first (check with --against)",
        )
        ctx.details.setdefault("enum_swaps", []).append((quote_ident(cmd.name or "?"), labels))
    return LockLevel.ACCESS_EXCLUSIVE


@action(AT.AT_ColumnDefault)
def _column_default(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    fill = ctx.state.added_defaults.pop((table, quote_ident(cmd.name or "?")), None)
    if cmd.def_ is None and fill is not None:
        _fill_finding(cmd.name or "?", fill, table, ctx)
    elif cmd.def_ is None and not ctx.is_new(table):
        col = _column(table, cmd.name)
        ctx.find(
            Code.DROP_DEFAULT,
            col,
            f"default of {col} is dropped; inserts that omit it get NULL (or fail if NOT NULL)",
        )
    return LockLevel.ACCESS_EXCLUSIVE


def _fill_finding(name: str, fill: str, table: str, ctx: StatementContext) -> None:
    """ADD COLUMN … DEFAULT v NOT NULL then DROP DEFAULT: v only fills the existing rows (the
    differ's plan for a NOT NULL column without a default; bot/schema/fill.py)."""
    col = _column(table, name)
    ctx.find(
        Code.FILL_EXISTING_ROWS,
        col,
        f"{col} is NOT NULL without a default: every existing row of {table} gets the fill "
        f"value {fill}",
        "reject and give the column a default (or backfill) in the desired schema if "
        f"{fill} is not the right value",
    )
    ctx.details.setdefault("fills", []).append((quote_ident(name), fill))


@action(AT.AT_SetIdentity)
def _set_identity(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    if not ctx.is_new(table):
        restart_finding(_column(table, cmd.name), "identity of", cmd.def_, ctx)
    return LockLevel.ACCESS_EXCLUSIVE


def restart_finding(
    obj: str, what: str, options: tuple[ast.Node, ...] | None, ctx: StatementContext
) -> None:
    """SEQUENCE_RESTART when ``options`` (ALTER SEQUENCE's, or SET for an identity) hold
    RESTART: the values handed out next start over, and may repeat keys rows already have."""
    for opt in options or ():
        if isinstance(opt, ast.DefElem) and opt.defname == "restart":
            at = f" at {opt.arg.ival}" if isinstance(opt.arg, ast.Integer) else ""
            ctx.find(
                Code.SEQUENCE_RESTART,
                obj,
                f"{what} {obj} restarts{at}: the next values may repeat ones existing rows hold, "
                "and inserts then fail on unique keys",
                "check the highest value in use (and the reason the plan gives) before approving",
            )


@action(AT.AT_DropIdentity)
def _drop_identity(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    if not ctx.is_new(table):
        col = _column(table, cmd.name)
        ctx.find(Code.DROP_DEFAULT, col, f"identity of {col} is dropped; inserts must supply it")
    return LockLevel.ACCESS_EXCLUSIVE


@action(AT.AT_SetNotNull)
def _set_not_null(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    if not ctx.is_new(table):
        _not_null_finding(cmd.name or "?", table, ctx)
    return LockLevel.ACCESS_EXCLUSIVE


def _not_null_finding(name: str, table: str, ctx: StatementContext) -> None:
    col = _column(table, name)
    ctx.find(
        Code.SET_NOT_NULL,
        col,
        f"{col} becomes NOT NULL: the whole table is scanned under ACCESS EXCLUSIVE and the "
        "statement fails if any row holds NULL",
        "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; then SET NOT "
        "NULL (no scan) and drop the check",
    )
    ctx.hazard(HazardKind.FULL_SCAN, table, f"{table} is scanned to check {col} for NULLs")
    ctx.details.setdefault("not_null", []).append(quote_ident(name))


@action(AT.AT_AddColumn)
def _add_column(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    coldef: ast.ColumnDef = cmd.def_
    if ctx.is_new(table) or coldef is None:
        return LockLevel.ACCESS_EXCLUSIVE
    col = _column(table, coldef.colname)
    constraints = {c.contype: c for c in coldef.constraints or () if isinstance(c, ast.Constraint)}
    default = constraints.get(ConstrType.CONSTR_DEFAULT)
    type_name = (coldef.typeName.names[-1].sval if coldef.typeName else "").lower()
    fills = _fill_reason(default, constraints, type_name)
    if fills:
        ctx.find(
            Code.ADD_COLUMN_VOLATILE_DEFAULT,
            col,
            f"adding {col} {fills}: every row is written, rewriting the table under ACCESS "
            "EXCLUSIVE",
            "add the column without the default, SET DEFAULT, then backfill in batches",
        )
        ctx.hazard(HazardKind.TABLE_REWRITE, table, f"{table} is rewritten (ADD COLUMN {col})")
    not_null = coldef.is_not_null or ConstrType.CONSTR_NOTNULL in constraints
    primary = ConstrType.CONSTR_PRIMARY in constraints
    if not_null and default is not None and not fills:
        key = (table, quote_ident(coldef.colname or "?"))
        ctx.state.added_defaults[key] = deparse(default.raw_expr)
    if (not_null or primary) and default is None and not fills:
        ctx.find(
            Code.ADD_COLUMN_NOT_NULL_NO_DEFAULT,
            col,
            f"{col} is added NOT NULL without a default: fails if {table} has any rows",
            "add it nullable, backfill, then SET NOT NULL (or give it a DEFAULT)",
        )
    _inline_constraints(constraints, col, table, ctx, has_value=default is not None or bool(fills))
    return LockLevel.ACCESS_EXCLUSIVE


def _fill_reason(default: ast.Constraint | None, constraints: dict, type_name: str) -> str:
    if type_name in {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}:
        return f"of type {type_name} (nextval per row)"
    if ConstrType.CONSTR_IDENTITY in constraints:
        return "as an identity column (a value per row)"
    if ConstrType.CONSTR_GENERATED in constraints:
        return "as a stored generated column (computed per row)"
    if default is not None and is_volatile(default.raw_expr):
        return f"with volatile default {deparse(default.raw_expr)}"
    return ""


def _inline_constraints(
    constraints: dict, col: str, table: str, ctx: StatementContext, *, has_value: bool
) -> None:
    if ConstrType.CONSTR_PRIMARY in constraints:
        ctx.find(Code.ADD_PRIMARY_KEY, col, f"primary key on new column {col} builds an index")
    if ConstrType.CONSTR_UNIQUE in constraints and has_value:
        ctx.find(
            Code.ADD_UNIQUE_CONSTRAINT, col, f"{col} gets the same value in every row but is UNIQUE"
        )
    if ConstrType.CONSTR_CHECK in constraints:
        check = constraints[ConstrType.CONSTR_CHECK]
        ctx.find(
            Code.ADD_CHECK_CONSTRAINT,
            col,
            f"CHECK ({deparse(check.raw_expr)}) on new column {col} is checked against every row",
        )
    fk = constraints.get(ConstrType.CONSTR_FOREIGN)
    if fk is not None and fk.pktable is not None:
        parent = rangevar_text(fk.pktable, ctx.default_schema)
        ctx.lock(parent, LockLevel.SHARE_ROW_EXCLUSIVE, f"foreign key from {col}")
        if has_value:
            ctx.find(
                Code.ADD_FOREIGN_KEY, col, f"every row of {table} must match a row of {parent}"
            )


@action(AT.AT_AddConstraint)
def _add_constraint(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    con = cmd.def_
    if not isinstance(con, ast.Constraint):
        return LockLevel.ACCESS_EXCLUSIVE
    name = f"{table} constraint {quote_ident(con.conname)}" if con.conname else table
    parent = rangevar_text(con.pktable, ctx.default_schema) if con.pktable else None
    ctx.details.setdefault("constraints", []).append((con, parent))
    if con.contype == ConstrType.CONSTR_FOREIGN and parent:
        ctx.touch(parent)
        ctx.lock(parent, LockLevel.SHARE_ROW_EXCLUSIVE, "referenced by the new foreign key")
        if not con.skip_validation and not ctx.is_new(table):
            ctx.find(
                Code.ADD_FOREIGN_KEY,
                name,
                f"foreign key to {parent} is validated by scanning {table} while writes to both "
                "tables are blocked; fails if any row has no match",
                "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later step",
            )
            ctx.hazard(HazardKind.FULL_SCAN, table, f"{table} is scanned to validate the key")
        return LockLevel.SHARE_ROW_EXCLUSIVE
    if ctx.is_new(table):
        return LockLevel.ACCESS_EXCLUSIVE
    if con.contype == ConstrType.CONSTR_CHECK and not con.skip_validation:
        ctx.find(
            Code.ADD_CHECK_CONSTRAINT,
            name,
            f"CHECK ({deparse(con.raw_expr)}) is validated by scanning {table} under ACCESS "
            "EXCLUSIVE; fails if any row violates it",
            "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT (weaker lock)",
        )
        ctx.hazard(HazardKind.FULL_SCAN, table, f"{table} is scanned to validate the check")
    elif con.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
        _unique_constraint(con, name, table, ctx)
    elif con.contype == ConstrType.CONSTR_EXCLUSION:
        ctx.find(
            Code.ADD_EXCLUSION_CONSTRAINT,
            name,
            f"exclusion constraint builds an index on {table} under ACCESS EXCLUSIVE; fails on "
            "conflicting rows",
        )
        ctx.hazard(HazardKind.INDEX_BUILD, table, f"index built on {table}, writes blocked")
    elif con.contype == ConstrType.CONSTR_NOTNULL:
        for key in con.keys or ():
            _not_null_finding(key.sval, table, ctx)
    return LockLevel.ACCESS_EXCLUSIVE


def _unique_constraint(con: ast.Constraint, name: str, table: str, ctx: StatementContext) -> None:
    primary = con.contype == ConstrType.CONSTR_PRIMARY
    if con.indexname and not primary:
        return  # UNIQUE USING INDEX: the index exists already; only a brief lock
    code = Code.ADD_PRIMARY_KEY if primary else Code.ADD_UNIQUE_CONSTRAINT
    cols = ", ".join(quote_ident(k.sval) for k in con.keys or ())
    what = "PRIMARY KEY" if primary else "UNIQUE"
    ctx.find(
        code,
        name,
        f"{what} ({cols}) builds an index on {table} blocking all access; fails if duplicates "
        + ("or NULLs exist" if primary else "exist"),
        f"CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … {what} USING INDEX",
    )
    if not con.indexname:
        ctx.hazard(HazardKind.INDEX_BUILD, table, f"unique index built on {table}, access blocked")


@action(AT.AT_ValidateConstraint)
def _validate(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    ctx.hazard(
        HazardKind.FULL_SCAN,
        table,
        f"{table} is scanned to validate {quote_ident(cmd.name or '?')} (writes continue)",
    )
    return LockLevel.SHARE_UPDATE_EXCLUSIVE


@action(AT.AT_DropConstraint)
def _drop_constraint(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    name = f"{table} constraint {quote_ident(cmd.name or '?')}"
    ctx.find(
        Code.DROP_CONSTRAINT,
        name,
        f"constraint {quote_ident(cmd.name or '?')} on {table} is dropped; the data it "
        "guaranteed is no longer enforced",
    )
    _cascade(cmd, name, ctx, "foreign keys that depend on its index")
    return LockLevel.ACCESS_EXCLUSIVE


@action(AT.AT_DetachPartition)
def _detach(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    part = cmd.def_.name if isinstance(cmd.def_, ast.PartitionCmd) else None
    part_text = rangevar_text(part, ctx.default_schema) if part else "?"
    ctx.find(
        Code.DETACH_PARTITION,
        part_text,
        f"{part_text} is detached: its rows disappear from {table}",
    )
    if isinstance(cmd.def_, ast.PartitionCmd) and cmd.def_.concurrent:
        ctx.non_transactional(table, "DETACH PARTITION CONCURRENTLY")
        return LockLevel.SHARE_UPDATE_EXCLUSIVE
    return LockLevel.ACCESS_EXCLUSIVE


@action(*_REWRITE_ACTIONS)
def _rewrite(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    if not ctx.is_new(table):
        what = _REWRITE_ACTIONS[cmd.subtype]
        ctx.find(
            Code.TABLE_REWRITE,
            table,
            f"{what} rewrites {table} under ACCESS EXCLUSIVE (no reads or writes meanwhile)",
        )
        ctx.hazard(HazardKind.TABLE_REWRITE, table, f"{table} is rewritten ({what})")
    return LockLevel.ACCESS_EXCLUSIVE


@action(AT.AT_AttachPartition)
def _attach(cmd: ast.AlterTableCmd, table: str, ctx: StatementContext) -> LockLevel:
    part = cmd.def_.name if isinstance(cmd.def_, ast.PartitionCmd) else None
    if part is not None:
        part_text = rangevar_text(part, ctx.default_schema)
        ctx.touch(part_text)
        ctx.lock(part_text, LockLevel.ACCESS_EXCLUSIVE, "partition being attached")
        ctx.hazard(
            HazardKind.FULL_SCAN,
            part_text,
            f"{part_text} is scanned to check the partition bound unless a matching CHECK exists",
        )
    return LockLevel.SHARE_UPDATE_EXCLUSIVE

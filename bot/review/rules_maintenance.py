"""Maintenance and utility statement rules: VACUUM, CLUSTER, REINDEX, REFRESH, LOCK.

Also the cluster-wide statements (CREATE/DROP DATABASE, roles, tablespaces, ALTER SYSTEM). These
rules register in the shared registry (``registry.py``); importing ``bot.review.rules`` imports
this module, so every rule is registered. Like all rules, they only append findings and hazards.
"""

from __future__ import annotations

from pglast import ast

from bot.review.context import StatementContext
from bot.review.hazards import Code, HazardKind, LockLevel
from bot.review.names import deparse, quote_ident, rangevar_text
from bot.review.registry import rule


@rule(ast.DropdbStmt)
def _drop_database(node: ast.DropdbStmt, ctx: StatementContext) -> None:
    ctx.kind = "DROP DATABASE"
    name = quote_ident(node.dbname)
    ctx.touch(name)
    ctx.find(Code.DROP_DATABASE, name, f"database {name} is dropped with everything in it")
    ctx.non_transactional(name, "DROP DATABASE")


@rule(ast.DropRoleStmt, ast.DropOwnedStmt, ast.DropTableSpaceStmt, ast.DropSubscriptionStmt)
def _drop_global(node: ast.Node, ctx: StatementContext) -> None:
    ctx.kind = {
        ast.DropRoleStmt: "DROP ROLE",
        ast.DropOwnedStmt: "DROP OWNED",
        ast.DropTableSpaceStmt: "DROP TABLESPACE",
        ast.DropSubscriptionStmt: "DROP SUBSCRIPTION",
    }[type(node)]
    ctx.find(Code.DROP_OBJECT, ctx.kind, f"{ctx.kind}: {_short(deparse(node))}")
    if isinstance(node, ast.DropTableSpaceStmt):
        ctx.non_transactional(quote_ident(node.tablespacename), "DROP TABLESPACE")


@rule(ast.VacuumStmt)
def _vacuum(node: ast.VacuumStmt, ctx: StatementContext) -> None:
    ctx.kind = "VACUUM" if node.is_vacuumcmd else "ANALYZE"
    tables = [rangevar_text(r.relation, ctx.default_schema) for r in node.rels or ()]
    for table in tables:
        ctx.touch(table)
    if not node.is_vacuumcmd:
        return
    full = any(opt.defname == "full" for opt in node.options or ())
    target = ", ".join(tables) or "every table"
    ctx.non_transactional(target, "VACUUM")
    if full:
        ctx.find(
            Code.TABLE_REWRITE, target, f"VACUUM FULL rewrites {target} under ACCESS EXCLUSIVE"
        )
        for table in tables:
            ctx.lock(table, LockLevel.ACCESS_EXCLUSIVE, "VACUUM FULL")


@rule(ast.ClusterStmt)
def _cluster(node: ast.ClusterStmt, ctx: StatementContext) -> None:
    ctx.kind = "CLUSTER"
    if node.relation is None:
        ctx.non_transactional("every clustered table", "CLUSTER without a table")
        return
    table = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(table)
    ctx.find(Code.TABLE_REWRITE, table, f"CLUSTER rewrites {table} under ACCESS EXCLUSIVE")
    ctx.lock(table, LockLevel.ACCESS_EXCLUSIVE, "CLUSTER")


@rule(ast.ReindexStmt)
def _reindex(node: ast.ReindexStmt, ctx: StatementContext) -> None:
    ctx.kind = "REINDEX"
    name = rangevar_text(node.relation, ctx.default_schema) if node.relation else (node.name or "")
    ctx.touch(name)
    if any(opt.defname == "concurrently" for opt in node.params or ()):
        ctx.non_transactional(name, "REINDEX CONCURRENTLY")
    else:
        ctx.hazard(
            HazardKind.LOCK, name, "REINDEX blocks writes to the table", lock=LockLevel.SHARE
        )


@rule(ast.CreatedbStmt, ast.AlterSystemStmt, ast.CreateTableSpaceStmt)
def _global_non_transactional(node: ast.Node, ctx: StatementContext) -> None:
    ctx.kind = {
        ast.CreatedbStmt: "CREATE DATABASE",
        ast.AlterSystemStmt: "ALTER SYSTEM",
        ast.CreateTableSpaceStmt: "CREATE TABLESPACE",
    }[type(node)]
    ctx.non_transactional(ctx.kind, ctx.kind)


@rule(ast.RefreshMatViewStmt)
def _refresh(node: ast.RefreshMatViewStmt, ctx: StatementContext) -> None:
    ctx.kind = "REFRESH MATERIALIZED VIEW"
    name = rangevar_text(node.relation, ctx.default_schema)
    ctx.touch(name)
    level = LockLevel.EXCLUSIVE if node.concurrent else LockLevel.ACCESS_EXCLUSIVE
    ctx.lock(name, level, "refresh")


@rule(ast.LockStmt)
def _lock(node: ast.LockStmt, ctx: StatementContext) -> None:
    ctx.kind = "LOCK"
    level = list(LockLevel)[node.mode - 1] if 1 <= node.mode <= 8 else LockLevel.ACCESS_EXCLUSIVE
    for rv in node.relations or ():
        table = rangevar_text(rv, ctx.default_schema)
        ctx.touch(table)
        ctx.lock(table, level, "explicit LOCK")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

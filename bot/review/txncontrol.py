"""Transaction control: which statements the one apply transaction folds, and which it cannot run.

The apply runs the whole plan in one transaction with its own ``lock_timeout`` and
``statement_timeout`` (DESIGN invariant 5). A bare ``BEGIN``/``COMMIT`` pair in the file (Prisma
writes one around an enum swap) says the same thing, so it is *folded*: not executed, the apply
transaction stands in for it. Anything else that touches the transaction is *forbidden*, because
run inside the apply it would

* end it early (``ROLLBACK``, ``COMMIT AND CHAIN``): the statements after it run outside the apply
  transaction, without its timeouts, and a failure no longer undoes the earlier ones;
* undo part of it (``SAVEPOINT`` / ``ROLLBACK TO`` / ``RELEASE``): reviewed statements silently
  do not happen;
* hand it to two-phase commit or act on another one (``PREPARE TRANSACTION``,
  ``COMMIT PREPARED``, ``ROLLBACK PREPARED``);
* change its isolation or access mode (``SET TRANSACTION``, ``SET SESSION CHARACTERISTICS``,
  ``BEGIN``/``START TRANSACTION`` with options, ``SET transaction_isolation``, ...);
* lift its guards (``SET``/``RESET`` of ``lock_timeout``, ``statement_timeout``,
  ``idle_in_transaction_session_timeout``).

The classification reads pglast's ``TransactionStmt`` (kind, options, chain) and
``VariableSetStmt``; no regular expressions, so comments, case and spacing cannot disguise a form.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import TransactionStmtKind, VariableSetKind

from bot.review.context import StatementContext
from bot.review.hazards import Code, TxnControl
from bot.review.registry import rule

__all__ = ["txn_control_of"]

_K = TransactionStmtKind
_KIND_NAMES = {
    _K.TRANS_STMT_BEGIN: "BEGIN",
    _K.TRANS_STMT_START: "START TRANSACTION",
    _K.TRANS_STMT_COMMIT: "COMMIT",
    _K.TRANS_STMT_ROLLBACK: "ROLLBACK",
    _K.TRANS_STMT_SAVEPOINT: "SAVEPOINT",
    _K.TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
    _K.TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
    _K.TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
    _K.TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
    _K.TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
}
_WHY = {
    _K.TRANS_STMT_BEGIN: "sets its own isolation or access mode for the apply transaction",
    _K.TRANS_STMT_START: "sets its own isolation or access mode for the apply transaction",
    _K.TRANS_STMT_COMMIT: (
        "commits part of the plan early and runs the rest in a new transaction without the "
        "apply's lock and statement timeouts"
    ),
    _K.TRANS_STMT_ROLLBACK: (
        "undoes what the plan did so far, and the statements after it run with no "
        "transaction and none of the apply's timeouts"
    ),
    _K.TRANS_STMT_SAVEPOINT: "lets a later ROLLBACK TO silently undo reviewed statements",
    _K.TRANS_STMT_RELEASE: "belongs to a savepoint scheme that can silently undo statements",
    _K.TRANS_STMT_ROLLBACK_TO: "silently undoes reviewed statements while the apply goes on",
    _K.TRANS_STMT_PREPARE: "hands the apply transaction to two-phase commit, left uncommitted",
    _K.TRANS_STMT_COMMIT_PREPARED: "commits some other prepared transaction",
    _K.TRANS_STMT_ROLLBACK_PREPARED: "rolls back some other prepared transaction",
}
_SET_KINDS = {
    "TRANSACTION": "SET TRANSACTION",
    "TRANSACTION SNAPSHOT": "SET TRANSACTION SNAPSHOT",
    "SESSION CHARACTERISTICS": "SET SESSION CHARACTERISTICS",
}
_TRANSACTION_SETTINGS = frozenset(
    {"transaction_isolation", "transaction_read_only", "transaction_deferrable"}
)
# The apply's own guards (SET LOCAL at its start): a plan that sets or resets them would lift the
# lock and statement timeouts the review promised for every statement after it.
_APPLY_GUARDS = frozenset(
    {"lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"}
)
_SUGGESTION = (
    "remove it: the apply runs the whole plan in one transaction (a bare BEGIN/COMMIT is "
    "folded into it); split work that needs its own transaction into a separate plan"
)


def txn_control_of(node: ast.Node) -> TxnControl | None:
    """FOLD, FORBIDDEN, or None when ``node`` does not touch the transaction."""
    if isinstance(node, ast.TransactionStmt):
        if node.kind in (_K.TRANS_STMT_BEGIN, _K.TRANS_STMT_START):
            return TxnControl.FORBIDDEN if node.options else TxnControl.FOLD
        if node.kind == _K.TRANS_STMT_COMMIT and not node.chain:
            return TxnControl.FOLD
        return TxnControl.FORBIDDEN
    if isinstance(node, ast.VariableSetStmt):
        if node.kind == VariableSetKind.VAR_SET_MULTI and node.name in _SET_KINDS:
            return TxnControl.FORBIDDEN
        if node.name in _TRANSACTION_SETTINGS or node.name in _APPLY_GUARDS:
            return TxnControl.FORBIDDEN
    return None


@rule(ast.TransactionStmt)
def _transaction(node: ast.TransactionStmt, ctx: StatementContext) -> None:
    ctx.kind = _KIND_NAMES.get(node.kind, "TRANSACTION")
    if node.kind in (_K.TRANS_STMT_BEGIN, _K.TRANS_STMT_START):
        ctx.state.transaction_line = ctx.line
    elif node.kind in (_K.TRANS_STMT_COMMIT, _K.TRANS_STMT_ROLLBACK):
        ctx.state.transaction_line = None
    _record(txn_control_of(node), _WHY.get(node.kind, "changes the apply transaction"), ctx)


@rule(ast.VariableSetStmt)
def _set(node: ast.VariableSetStmt, ctx: StatementContext) -> None:
    ctx.kind = _SET_KINDS.get(node.name or "", "SET")
    why = (
        f"changes {node.name}, one of the apply's own timeouts"
        if node.name in _APPLY_GUARDS
        else "changes the apply transaction's isolation or access mode"
    )
    _record(txn_control_of(node), why, ctx)


def _record(control: TxnControl | None, why: str, ctx: StatementContext) -> None:
    ctx.txn_control = control
    if control is TxnControl.FORBIDDEN:
        ctx.find(
            Code.TRANSACTION_CONTROL,
            ctx.kind,
            f"{ctx.kind} {why}; the plan cannot be applied in one transaction while it is here",
            _SUGGESTION,
        )

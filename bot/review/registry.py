"""The statement-rule registry: ``@rule(ast.X)`` registers a function, ``apply_rules`` runs it.

Rule modules (``rules.py``, ``rules_maintenance.py``) import ``rule`` from here; importing
``bot.review.rules`` registers every rule. One rule per parse-tree node type.
"""

from __future__ import annotations

from collections.abc import Callable

from pglast import ast

from bot.review.context import StatementContext

__all__ = ["Rule", "apply_rules", "rule"]

Rule = Callable[[ast.Node, StatementContext], None]
_RULES: dict[type, Rule] = {}


def rule(*node_types: type) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for node_type in node_types:
            _RULES[node_type] = fn
        return fn

    return register


def apply_rules(node: ast.Node, ctx: StatementContext) -> None:
    fn = _RULES.get(type(node))
    if fn is not None:
        fn(node, ctx)

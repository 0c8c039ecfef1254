"""Is a column default volatile? (A volatile default makes ADD COLUMN rewrite the whole table.)

Since PostgreSQL 11, ADD COLUMN with a constant or stable default (``0``, ``'x'::text``,
``now()``, ``CURRENT_TIMESTAMP``) only records the value in the catalog; a volatile one
(``random()``, ``gen_random_uuid()``, ``clock_timestamp()``, ``nextval``) is evaluated per row,
which rewrites the table under ACCESS EXCLUSIVE. Functions we do not know are treated as volatile,
because that is PostgreSQL's own default for CREATE FUNCTION.
"""

from __future__ import annotations

from pglast import ast

__all__ = ["is_volatile"]

# Built-ins that are immutable or stable: safe in an ADD COLUMN default.
_NON_VOLATILE_FUNCS = frozenset(
    {"now", "transaction_timestamp", "statement_timestamp", "current_date", "current_time",
     "current_timestamp", "localtime", "localtimestamp", "lower", "upper", "trim", "btrim",
     "ltrim", "rtrim", "concat", "concat_ws", "length", "abs", "round", "floor", "ceil",
     "to_jsonb", "to_json", "jsonb_build_object", "json_build_object", "jsonb_build_array",
     "json_build_array", "array_fill", "make_date", "make_timestamp", "make_timestamptz",
     "make_interval", "to_timestamp", "to_date", "to_char", "date_trunc", "timezone",
     "current_setting", "current_schema", "current_user", "session_user", "inet_client_addr",
     "txid_current", "pg_current_xact_id", "md5", "replace", "substring", "substr", "left",
     "right", "greatest", "least", "nullif", "uuid_nil", "int4", "int8", "text", "numeric"}
)  # fmt: skip

_VOLATILE_FUNCS = frozenset(
    {"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
     "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "nextval", "setval", "random_normal"}
)  # fmt: skip


def is_volatile(expr: object) -> bool:
    """True when evaluating ``expr`` may give a different value per row."""
    if expr is None:
        return False
    if isinstance(expr, tuple | list):
        return any(is_volatile(item) for item in expr)
    if isinstance(expr, ast.FuncCall):
        name = expr.funcname[-1].sval.lower() if expr.funcname else ""
        if name in _VOLATILE_FUNCS or name not in _NON_VOLATILE_FUNCS:
            return True
        return is_volatile(expr.args)
    if isinstance(expr, ast.SubLink):
        return True  # not allowed in defaults anyway; never call it safe
    if not isinstance(expr, ast.Node):
        return False
    return any(
        is_volatile(getattr(expr, slot, None))
        for slot in type(expr).__slots__
        if slot != "location"
    )

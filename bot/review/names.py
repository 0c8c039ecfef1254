"""Parse-tree names -> the schema-qualified text used in findings (``public."User".email``).

Unqualified names are shown in the script's default schema (``public`` unless the caller says
otherwise): Prisma's migrations are unqualified, and a reviewer needs to know which table is meant.
Quoting follows PostgreSQL's rule: lower-case identifiers that are not reserved words stay bare.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pglast import ast
from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
from pglast.stream import RawStream

__all__ = ["deparse", "object_text", "qualify", "quote_ident", "rangevar_text", "type_text"]

_BARE = re.compile(r"^[a-z_][a-z0-9_$]*$")
_NEEDS_QUOTES = RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS

# Object kinds whose names are global, not inside a schema.
_UNQUALIFIED_KINDS = frozenset(
    {"OBJECT_SCHEMA", "OBJECT_DATABASE", "OBJECT_EXTENSION", "OBJECT_ROLE", "OBJECT_TABLESPACE",
     "OBJECT_LANGUAGE", "OBJECT_FDW", "OBJECT_FOREIGN_SERVER", "OBJECT_EVENT_TRIGGER",
     "OBJECT_PUBLICATION", "OBJECT_SUBSCRIPTION", "OBJECT_ACCESS_METHOD"}
)  # fmt: skip
# Kinds named "table.name" (trigger, policy, rule): the table part gets the schema.
_ON_TABLE_KINDS = frozenset({"OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"})


def quote_ident(name: str) -> str:
    if _BARE.match(name) and name not in _NEEDS_QUOTES:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualify(parts: Sequence[str], default_schema: str) -> str:
    """``("users",)`` -> ``public.users``; two or three parts are kept as written."""
    names = list(parts)
    if len(names) == 1:
        names.insert(0, default_schema)
    return ".".join(quote_ident(n) for n in names)


def rangevar_text(rv: ast.RangeVar, default_schema: str) -> str:
    schema = rv.schemaname or default_schema
    return f"{quote_ident(schema)}.{quote_ident(rv.relname)}"


def _strings(items: Sequence[ast.Node]) -> list[str]:
    return [item.sval for item in items if isinstance(item, ast.String)]


def object_text(obj: object, kind: str, default_schema: str) -> str:
    """Text for one element of ``DropStmt.objects`` (or a similar name list) of object kind
    ``kind`` (an ObjectType name such as ``OBJECT_TABLE``)."""
    if isinstance(obj, ast.String):
        parts = [obj.sval]
    elif isinstance(obj, ast.TypeName):
        return type_text(obj, default_schema)
    elif isinstance(obj, ast.ObjectWithArgs):
        name = qualify(_strings(obj.objname or ()), default_schema)
        if obj.args_unspecified or obj.objargs is None:
            return name
        args = ", ".join(deparse(arg) for arg in obj.objargs)
        return f"{name}({args})"
    elif isinstance(obj, tuple | list):
        if not all(isinstance(item, ast.String) for item in obj):
            return " ".join(deparse(item) for item in obj)
        parts = _strings(obj)
    else:
        return deparse(obj)
    if kind in _UNQUALIFIED_KINDS:
        return ".".join(quote_ident(p) for p in parts)
    if kind in _ON_TABLE_KINDS and parts:
        return f"{qualify(parts[-1:], default_schema)} on {qualify(parts[:-1], default_schema)}"
    return qualify(parts, default_schema)


def type_text(type_name: ast.TypeName, default_schema: str) -> str:
    """A user type qualified like a table; built-in types as PostgreSQL spells them.

    Formatted here rather than by pglast's printer, which costs about a millisecond per call and
    dominated the time of a 20,000-statement review."""
    names = _strings(type_name.names or ())
    builtin = not names or names[0] == "pg_catalog"
    if builtin and len(names) == 2:
        text = _BUILTIN_NAMES.get(names[1], names[1])
    elif builtin:
        return deparse(type_name)
    else:
        text = qualify(names, default_schema)
    if type_name.typmods:
        mods = [_int_const(m) for m in type_name.typmods]
        if None in mods or names[-1] == "interval":
            return deparse(type_name)
        text += "(" + ",".join(str(m) for m in mods) + ")"
    if type_name.arrayBounds:
        text += "[]" * len(type_name.arrayBounds)
    return text


_BUILTIN_NAMES = {
    "int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
    "float8": "double precision", "bool": "boolean", "bpchar": "char",
}  # fmt: skip


def _int_const(node: object) -> int | None:
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
        return node.val.ival
    return None


def deparse(node: object) -> str:
    """SQL text for a sub-tree (types, expressions), as pglast prints it."""
    try:
        return RawStream()(node)
    except Exception:  # printers do not cover every node; the name is still useful to a reader
        return type(node).__name__

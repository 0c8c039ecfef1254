"""How a column's values get from one type to another: a cast path PostgreSQL accepts. Pure.

``ALTER COLUMN … TYPE new USING col::new`` only parses when PostgreSQL has a cast from the
old type to the new one; ``smallint::boolean`` or ``bigint::timestamp`` fail on every run,
whatever the data. Such a change either goes through an intermediate type that has casts
on both sides (``smallint → integer → boolean``) or, when no path keeps the values, the
column is rebuilt (dropped and added; the differ marks that destructive with the reason).

Facts used, for built-in types only (``_CASTS``: the rows of ``pg_cast`` between the types
listed, as PostgreSQL 13-17 ship them; a cast that exists in one direction only is listed
in that direction only):

* every type casts to a string type (``text``, ``character varying``, ``character``,
  ``name``) through its output function, and a string casts to every type through the
  target's input function (explicit I/O conversion casts);
* otherwise a cast exists only when ``_CASTS`` lists it.

A path has at most one intermediate type, chosen in ``_VIA`` order. Text is never an
intermediate between two non-string types: its parse would fail for every value (the
output of ``bigint`` is never a valid ``timestamp``), which is exactly the ``USING`` the
plan must not emit. Types the table does not know (extension and user types, rarer
built-ins) keep the direct cast: the server may well have one, and if the data does not
fit the statement fails inside the apply transaction. Arrays convert element-wise; an
array and a scalar (neither a string) have no path.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["cast_path", "base_name", "NO_PATH"]

STRINGS = frozenset({"text", "character varying", "character", "name"})

_I2, _I4, _I8 = "smallint", "integer", "bigint"
_NUM, _F4, _F8, _MONEY = "numeric", "real", "double precision", "money"
_TS, _TSTZ = "timestamp without time zone", "timestamp with time zone"
_TIME, _TIMETZ = "time without time zone", "time with time zone"

_CASTS: dict[str, frozenset[str]] = {
    _I2: frozenset({_I4, _I8, _NUM, _F4, _F8, "oid"}),
    _I4: frozenset({_I2, _I8, _NUM, _F4, _F8, _MONEY, "boolean", "bit", "oid"}),
    _I8: frozenset({_I2, _I4, _NUM, _F4, _F8, _MONEY, "bit", "oid"}),
    _NUM: frozenset({_I2, _I4, _I8, _F4, _F8, _MONEY}),
    _F4: frozenset({_I2, _I4, _I8, _NUM, _F8}),
    _F8: frozenset({_I2, _I4, _I8, _NUM, _F4}),
    _MONEY: frozenset({_NUM}),
    "oid": frozenset({_I4, _I8}),
    "boolean": frozenset({_I4}),
    "bit": frozenset({_I4, _I8, "bit varying"}),
    "bit varying": frozenset({"bit"}),
    "date": frozenset({_TS, _TSTZ}),
    _TS: frozenset({"date", _TIME, _TSTZ}),
    _TSTZ: frozenset({"date", _TIME, _TIMETZ, _TS}),
    _TIME: frozenset({"interval", _TIMETZ}),
    _TIMETZ: frozenset({_TIME}),
    "interval": frozenset({_TIME}),
    "json": frozenset({"jsonb"}),
    "jsonb": frozenset({"json", _I2, _I4, _I8, _NUM, _F4, _F8, "boolean"}),
    "inet": frozenset({"cidr"}),
    "cidr": frozenset({"inet"}),
    "macaddr": frozenset({"macaddr8"}),
    "macaddr8": frozenset({"macaddr"}),
    "uuid": frozenset(),
    "bytea": frozenset(),
    "xml": frozenset(),
    **{s: frozenset({"xml"}) for s in STRINGS},
}
_VIA = (_I4, _I8, _NUM, "jsonb", _F8, _TSTZ, _TIME)

NO_PATH = None
_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)")


def base_name(data_type: str) -> str:
    """``format_type`` text without its type modifier: ``numeric(10,2)`` -> ``numeric``."""
    return _TYPMOD.sub("", data_type)


def cast_path(
    old: str, new: str, *, resolve: Callable[[str], str] = lambda t: t
) -> tuple[str, ...] | None:
    """The types to cast through, after the old type and before ``new`` itself: ``()`` for
    a direct cast, ``None`` when no cast path keeps the values. ``resolve`` maps a domain
    to its base type (casts to and from a domain are its base type's)."""
    old_arr, new_arr = old.endswith("[]"), new.endswith("[]")
    old_el = base_name(resolve(old.removesuffix("[]")))
    new_el = base_name(resolve(new.removesuffix("[]")))
    if (not old_arr and old_el in STRINGS) or (not new_arr and new_el in STRINGS):
        return ()
    if old_arr != new_arr:
        return NO_PATH
    via = _element_path(old_el, new_el)
    if via is None:
        return NO_PATH
    return tuple(f"{t}[]" for t in via) if old_arr else via


def _element_path(old: str, new: str) -> tuple[str, ...] | None:
    if old == new or old in STRINGS or new in STRINGS:
        return ()
    if old not in _CASTS or new not in _CASTS:
        return ()  # a type this table does not know: trust the server to have the cast
    if new in _CASTS[old]:
        return ()
    for mid in _VIA:
        if mid in _CASTS[old] and new in _CASTS.get(mid, ()):
            return (mid,)
    return NO_PATH

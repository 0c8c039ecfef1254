"""Keeping a sequence's current value inside new MINVALUE/MAXVALUE bounds. Pure.

``ALTER SEQUENCE`` (and ``ALTER COLUMN … SET MINVALUE`` on an identity) checks the
sequence's *current* value against the new bounds and refuses with "RESTART value (1)
cannot be less than MINVALUE (10)" when it falls outside, even for a sequence nobody
has called yet. So the plan adds a RESTART exactly when the current value is out of
the new range:

* never called (no value issued): ``RESTART`` — the sequence starts over at its new
  START, which the desired database guarantees lies inside the new range; nothing is
  lost. The current value of an uncalled sequence is not readable from the catalog,
  so its old START is taken as the value (what CREATE and ALTER … START leave).
* called, and the value is short of the range in the direction it counts (below
  MINVALUE when ascending, above MAXVALUE when descending): ``RESTART`` at the new
  START; every value issued so far lies outside the new range, so none can repeat.
* called, and the value is already past the far end (above MAXVALUE when ascending):
  there is no value left that was not issued. The plan restarts at the far bound so
  the statement applies, and is marked destructive with the reason: values may repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.schema.ops import Note, NoteCode

__all__ = ["Bounds", "Restart", "restart_for", "restart_notes", "identity_bounds"]

_NUM = r"(-?\d+)"


@dataclass(frozen=True, slots=True)
class Bounds:
    """The options that decide which values a sequence may hold."""

    start: int
    increment: int
    minvalue: int
    maxvalue: int


@dataclass(frozen=True, slots=True)
class Restart:
    """The RESTART clause to add (``"RESTART"`` or ``"RESTART WITH n"``) and why."""

    clause: str
    destructive: bool
    reason: str


def restart_for(old: Bounds, new: Bounds, current: int | None) -> Restart | None:
    """The RESTART the change from ``old`` to ``new`` needs; None when the current value
    (``current``; None when the sequence was never called) stays inside the new range."""
    value = old.start if current is None else current
    if new.minvalue <= value <= new.maxvalue:
        return None
    if current is None:
        return Restart("RESTART", False, f"never used; restarts at its new START {new.start}")
    ascending = new.increment > 0
    short = value < new.minvalue if ascending else value > new.maxvalue
    if short:
        return Restart(
            "RESTART",
            False,
            f"current value {value} is outside the new range; restarts at {new.start} "
            "(no issued value is in the new range)",
        )
    bound = new.maxvalue if ascending else new.minvalue
    return Restart(
        f"RESTART WITH {bound}",
        True,
        f"current value {value} is already past the new "
        f"{'MAXVALUE' if ascending else 'MINVALUE'} {bound}: restarts at {bound}, "
        "values already issued may be issued again",
    )


def restart_notes(obj: str, restart: Restart | None) -> tuple[Note, ...]:
    """The reviewer's note for a RESTART the plan adds (none without one)."""
    if restart is None:
        return ()
    return (Note(NoteCode.SEQUENCE_RESTART, obj, f"{obj}: {restart.reason}"),)


def identity_bounds(options: str | None) -> Bounds | None:
    """Bounds parsed from an identity's option text (``columns.sql``'s identity_options)."""
    if not options:
        return None
    found = {}
    for word in ("START WITH", "INCREMENT BY", "MINVALUE", "MAXVALUE"):
        match = re.search(rf"\b{word} {_NUM}", options)
        if match is None:
            return None
        found[word] = int(match.group(1))
    return Bounds(found["START WITH"], found["INCREMENT BY"], found["MINVALUE"], found["MAXVALUE"])

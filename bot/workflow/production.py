"""What production has after an apply went wrong: the vocabulary and the judgement. Pure.

After any failure at or after apply (a statement failed, a configured apply command exited
non-zero, the connection died during COMMIT, the bot died mid-apply) the run records what
production has, so nobody is told "rolled back" when it was not, or offered a restore that would
throw away every write since the snapshot for nothing:

* ``unchanged`` — production's schema fingerprint equals the plan's starting point, and nothing
  of the plan can have taken effect (the built-in apply's transaction rolled back, or never ran;
  a configured command left the schema as it found it);
* ``partially changed`` — production moved but the plan is not all there; the detail names what
  the built-in differ still sees remaining;
* ``changed`` — production no longer has its starting schema (all of the plan is there, or
  something else changed it meanwhile);
* ``unknown`` — the outcome of COMMIT is unknown (the connection died while it was in flight, or
  the bot stopped mid-apply), or production could not be read again.

The I/O (reading the fingerprint, verifying) is the caller's (apply_step.py); this module only
turns those facts into one of the four words and a sentence a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["AfterApply", "Production", "Transaction", "judge_production"]

_REMAINING_SHOWN = 5


class Production(StrEnum):
    UNCHANGED = "unchanged"
    PARTIALLY_CHANGED = "partially changed"
    CHANGED = "changed"
    UNKNOWN = "unknown"


class Transaction(StrEnum):
    """What became of the built-in apply's transaction (a configured command's is opaque)."""

    NOT_STARTED = "not started"  # refused or failed before any statement ran
    ROLLED_BACK = "rolled back"  # the server answered: nothing of it took effect
    COMMITTED = "committed"  # e.g. a statement outside the transaction failed afterwards
    UNKNOWN = "unknown"  # the connection died while COMMIT was in flight


@dataclass(frozen=True)
class AfterApply:
    """The judgement, as stored under ``run.data["apply"]``."""

    production: Production
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"production": self.production.value, "production_detail": self.detail}


def judge_production(
    *,
    transaction: Transaction | None,
    fingerprint_before: str,
    fingerprint_now: str | None,
    unreadable: str | None = None,
    verify: Mapping[str, Any] | None = None,
    why_unknown: str | None = None,
) -> AfterApply:
    """``transaction`` is None for a configured apply command. ``fingerprint_now`` is None when
    production could not be read (``unreadable`` says why). ``verify`` is the re-verification
    (``in_sync``, ``remaining``, ``command_exit_code``). ``why_unknown`` overrides the sentence
    used when the transaction's outcome is unknown (e.g. the bot stopped mid-apply)."""
    same = fingerprint_now is not None and fingerprint_now == fingerprint_before
    seen = _seen(fingerprint_now, same, unreadable)
    if transaction is Transaction.UNKNOWN:
        if not same and fingerprint_now is not None and (verify or {}).get("in_sync") is True:
            why = why_unknown or "the connection to production was lost while COMMIT was in flight"
            return AfterApply(
                Production.CHANGED,
                f"{why.split(', so ')[0]}; re-verified afterwards, production has every change "
                "of the plan: it took effect",
            )
        why = why_unknown or (
            "the connection to production was lost while COMMIT was in flight, so the outcome "
            "of COMMIT is unknown"
        )
        return AfterApply(Production.UNKNOWN, f"{why}; re-verified afterwards: {seen}")
    if fingerprint_now is None:
        return AfterApply(
            Production.UNKNOWN, f"production could not be read again after the failure: {seen}"
        )
    ours_undone = transaction in (Transaction.ROLLED_BACK, Transaction.NOT_STARTED)
    if same and (ours_undone or transaction is None):
        how = {
            Transaction.ROLLED_BACK: "the apply's transaction was rolled back",
            Transaction.NOT_STARTED: "nothing of the plan was run",
            None: "the apply command left the schema as it found it",
        }[transaction]
        return AfterApply(Production.UNCHANGED, f"{how}; {seen}")
    if ours_undone:
        how = (
            "the apply's transaction was rolled back"
            if transaction is Transaction.ROLLED_BACK
            else "nothing of the plan was run"
        )
        return AfterApply(
            Production.CHANGED,
            f"{how}, but {seen}: something other than this run changed it",
        )
    return _how_far(verify or {}, seen)


def _seen(fingerprint_now: str | None, same: bool, unreadable: str | None) -> str:
    if fingerprint_now is None:
        return f"production could not be read ({unreadable or 'no reason recorded'})"
    if same:
        return "production's schema is the plan's starting point (same fingerprint)"
    return "production's schema is no longer the plan's starting point"


def _how_far(verify: Mapping[str, Any], seen: str) -> AfterApply:
    remaining = [str(s) for s in verify.get("remaining") or []]
    if verify.get("in_sync") is True:
        return AfterApply(
            Production.CHANGED, f"{seen}; production now has every change of the plan"
        )
    if remaining:
        return AfterApply(
            Production.PARTIALLY_CHANGED,
            f"{seen}; part of the plan took effect — {_still_needed(remaining)}",
        )
    code = verify.get("command_exit_code")
    if code not in (None, 0):
        return AfterApply(
            Production.PARTIALLY_CHANGED,
            f"{seen}; part of the plan took effect — the verify command reports differences "
            f"remaining (exit {code}); no desired schema is configured for the built-in differ "
            "to name them",
        )
    note = verify.get("note") or "nothing could judge how much of the plan took effect"
    return AfterApply(Production.UNKNOWN, f"{seen}, and how far the plan got is unknown: {note}")


def _still_needed(remaining: Sequence[str]) -> str:
    shown = "; ".join(" ".join(s.split())[:120] for s in remaining[:_REMAINING_SHOWN])
    more = len(remaining) - _REMAINING_SHOWN
    tail = f"; and {more} more" if more > 0 else ""
    n = len(remaining)
    return f"{n} statement{'s' if n != 1 else ''} still needed: {shown}{tail}"

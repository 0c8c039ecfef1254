"""When restoring a run's snapshot is allowed, and what it would throw away. Pure: no I/O.

Restoring production from a snapshot replaces *everything* written since the snapshot: the rows
the application wrote, and the changes of every later run that applied (invariant 9). So a
restore is refused while any run on that database is active, for a run that did not fail, for a
snapshot that is gone, and when a later run applied changes — unless the person restoring types
the later runs' ids, which the confirm dialog shows together with how old the snapshot is.

:func:`production_after` answers "did this run change production?" from the facts recorded in
``run.data``; the run message uses it to say "production unchanged" (and offer Re-run instead of
Restore) after an apply that rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.workflow.run import RunState

if TYPE_CHECKING:
    from bot.store.records import Run, StepRecord

__all__ = [
    "CHANGED",
    "PARTIALLY_CHANGED",
    "UNCHANGED",
    "UNKNOWN",
    "LaterApply",
    "RestoreCheck",
    "format_age",
    "override_matches",
    "production_after",
    "restorable_snapshot",
]

UNCHANGED = "unchanged"
PARTIALLY_CHANGED = "partially changed"
CHANGED = "changed"
UNKNOWN = "unknown"
_RECORDED = (UNCHANGED, PARTIALLY_CHANGED, UNKNOWN)  # run.data["apply"]["production"]
RESTORABLE_STATES = (RunState.FAILED, RunState.INTERRUPTED)
_WORD = re.compile(r"[^\s,;]+")


def production_after(run: Run, steps: Iterable[StepRecord] = ()) -> str:
    """What the run did to production: unchanged, partially changed, changed or unknown.

    A re-verification recorded by the failure path (``run.data["apply"]["production"]``) wins.
    Otherwise: an apply that reported an error with no statement applied and no configured command
    run rolled back (unchanged); an apply without an error changed production; an apply that
    started but recorded nothing, or that ran something before failing, is unknown; a run whose
    apply never started left production unchanged."""
    apply: Mapping[str, Any] = run.data.get("apply") or {}
    recorded = apply.get("production")
    if recorded in _RECORDED:
        return str(recorded)
    if apply:
        if not apply.get("error"):
            return CHANGED
        if not apply.get("statements_applied") and apply.get("exit_code") is None:
            return UNCHANGED
        return UNKNOWN
    started = any(s.name == "apply" for s in steps)
    if started or run.data.get("interrupted_in") == RunState.APPLYING.value:
        return UNKNOWN
    return UNCHANGED


def restorable_snapshot(run: Run) -> Mapping[str, Any] | None:
    """The run's snapshot when it can still be restored (a real provider, not deleted)."""
    snap = run.data.get("snapshot") or {}
    if snap.get("provider") in (None, "none"):
        return None
    if snap.get("status") not in ("available", "restored"):
        return None
    return snap


@dataclass(frozen=True)
class LaterApply:
    """A run on the same database whose apply started after the snapshot was taken."""

    run_id: str
    target: str
    state: str
    outcome: str | None
    apply_started_at: datetime
    apply: Mapping[str, Any] = field(default_factory=dict)

    @property
    def changed_production(self) -> bool:
        """False only when its apply provably changed nothing (it rolled back)."""
        recorded = self.apply.get("production")
        if recorded in _RECORDED:
            return recorded != UNCHANGED
        if self.apply.get("error"):
            return bool(self.apply.get("statements_applied")) or (
                self.apply.get("exit_code") is not None
            )
        return True  # succeeded, or still running, or interrupted before it recorded anything

    @property
    def result(self) -> str:
        """``done — IN SYNC``, ``failed``, ``applying``…"""
        return f"{self.state} — {self.outcome}" if self.outcome else self.state


@dataclass(frozen=True)
class RestoreCheck:
    """Everything the confirm dialog shows and the restore decides on."""

    run_id: str
    target: str
    snapshot_name: str
    snapshot_taken_at: datetime | None
    age: timedelta | None
    production: str  # what the run itself did to production (see production_after)
    refusal: str | None = None  # refused outright: no override exists for this
    later: tuple[LaterApply, ...] = ()  # their changes would be lost

    @property
    def override_words(self) -> str:
        """What must be typed to restore over later runs: their ids, as shown."""
        return " ".join(a.run_id for a in self.later)

    def losses(self) -> list[str]:
        """One line per thing the restore throws away."""
        lines = []
        if self.age is not None:
            lines.append(f"every write to the database since the snapshot ({format_age(self.age)})")
        for a in self.later:
            where = "" if a.target == self.target else f" (target {a.target})"
            lines.append(
                f"run {a.run_id}{where}: applied {a.apply_started_at:%Y-%m-%d %H:%M} UTC, "
                f"now {a.result}"
            )
        return lines

    def later_refusal(self) -> str:
        ids = ", ".join(f"{a.run_id} ({a.result})" for a in self.later)
        return (
            f"later runs applied changes to this database after the snapshot was taken: {ids}. "
            "Restoring would wipe them and every write since "
            f"{self._since()}; nothing was restored. To restore anyway, type "
            f"`{self.override_words}` in the Restore dialog"
        )

    def _since(self) -> str:
        if self.snapshot_taken_at is None:
            return "the snapshot"
        return f"{self.snapshot_taken_at:%Y-%m-%d %H:%M} UTC"


def refusal_for(run: Run | None, run_id: str, *, active: Run | None) -> str | None:
    """Why restoring ``run``'s snapshot is refused outright, or None."""
    if run is None:
        return f"no run {run_id}"
    if run.state not in RESTORABLE_STATES:
        return (
            f"run {run.id} is {run.state.value}; only a failed or interrupted run's snapshot can "
            "be restored"
        )
    if restorable_snapshot(run) is None:
        snap = run.data.get("snapshot") or {}
        if snap.get("status") == "deleted":
            return f"the snapshot of run {run.id} was deleted by retention; nothing to restore"
        return f"run {run.id} has no snapshot to restore"
    if (run.data.get("restore") or {}).get("state") == "done":
        done = run.data["restore"]
        return f"the snapshot of run {run.id} was already restored by {_who(done.get('user'))}"
    if active is not None:
        where = "" if active.target == run.target else f" (target '{active.target}')"
        return (
            f"run {active.id}{where} is {active.state.value} on this database; a restore now "
            "would pull production out from under it. Nothing was restored — wait for it to "
            "finish or cancel it"
        )
    return None


def override_matches(typed: str | None, check: RestoreCheck) -> bool:
    """True when ``typed`` names exactly the later runs (any order, spaces or commas)."""
    if not check.later:
        return True
    words = set(_WORD.findall(typed or ""))
    return words == {a.run_id for a in check.later}


def format_age(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h ago"
    if hours:
        return f"{hours} h {minutes} min ago"
    return f"{minutes} min ago"


def later_losses(applies: Sequence[LaterApply]) -> tuple[LaterApply, ...]:
    """The later applies whose changes a restore would wipe (rolled-back ones changed nothing)."""
    return tuple(a for a in applies if a.changed_production)


def _who(user: Any) -> str:
    user = str(user or "someone")
    return f"<@{user}>" if user[:1] in ("U", "W") and user.isalnum() else user

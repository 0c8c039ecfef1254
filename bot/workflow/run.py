"""The run model: states, the transition table and the step names. Pure: no I/O.

    requested → preconditions → dev_sync → diff → awaiting_review → applying → verifying
              → health_checks → done
exits: rejected, deferred (resumable), cancelled, failed (recovery offered), interrupted (the
process died mid-step; found at start-up). A diff with no changes goes straight to verifying.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    REQUESTED = "requested"
    PRECONDITIONS = "preconditions"
    DEV_SYNC = "dev_sync"
    DIFF = "diff"
    AWAITING_REVIEW = "awaiting_review"
    APPLYING = "applying"
    VERIFYING = "verifying"
    HEALTH_CHECKS = "health_checks"
    DONE = "done"
    REJECTED = "rejected"
    DEFERRED = "deferred"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


FINAL_STATES: frozenset[RunState] = frozenset(
    {RunState.DONE, RunState.REJECTED, RunState.CANCELLED, RunState.FAILED, RunState.INTERRUPTED}
)
# States in which a run holds its target (one such run per target at a time).
ACTIVE_STATES: frozenset[RunState] = frozenset(RunState) - FINAL_STATES - {RunState.DEFERRED}
# States from which a cancel is allowed: everything before apply starts.
CANCELLABLE_STATES: frozenset[RunState] = frozenset(
    {
        RunState.REQUESTED,
        RunState.PRECONDITIONS,
        RunState.DEV_SYNC,
        RunState.DIFF,
        RunState.AWAITING_REVIEW,
        RunState.DEFERRED,
    }
)

_FORWARD: dict[RunState, frozenset[RunState]] = {
    RunState.REQUESTED: frozenset({RunState.PRECONDITIONS}),
    RunState.PRECONDITIONS: frozenset({RunState.DEV_SYNC}),
    RunState.DEV_SYNC: frozenset({RunState.DIFF}),
    RunState.DIFF: frozenset({RunState.AWAITING_REVIEW, RunState.VERIFYING}),
    RunState.AWAITING_REVIEW: frozenset(
        {RunState.APPLYING, RunState.REJECTED, RunState.DEFERRED, RunState.DIFF}
    ),
    RunState.DEFERRED: frozenset({RunState.PRECONDITIONS, RunState.DIFF}),
    RunState.APPLYING: frozenset({RunState.VERIFYING}),
    RunState.VERIFYING: frozenset({RunState.HEALTH_CHECKS}),
    RunState.HEALTH_CHECKS: frozenset({RunState.DONE}),
}


def allowed_transitions(state: RunState) -> frozenset[RunState]:
    """Where a run may go from ``state``: its forward steps, plus cancel/fail/interrupt exits."""
    if state in FINAL_STATES:
        return frozenset()
    exits = {RunState.FAILED, RunState.INTERRUPTED}
    if state in CANCELLABLE_STATES:
        exits.add(RunState.CANCELLED)
    return _FORWARD.get(state, frozenset()) | exits


def can_transition(old: RunState, new: RunState) -> bool:
    return new in allowed_transitions(old)

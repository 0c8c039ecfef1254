"""Plain records read from the store (pure data; the store builds them from rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.workflow.run import FINAL_STATES, RunState


@dataclass(frozen=True)
class Run:
    id: str
    target: str
    mode: str
    state: RunState
    requested_by: str
    requested_via: str
    created_at: datetime
    updated_at: datetime
    channel: str | None = None
    message_ts: str | None = None
    finished_at: datetime | None = None
    git_commit: str | None = None
    sql_text: str | None = None
    sql_sha256: str | None = None
    prod_fingerprint: str | None = None
    snapshot_id: str | None = None
    approval_expires_at: datetime | None = None
    remind_at: datetime | None = None
    outcome: str | None = None
    error: str | None = None
    resumed_from: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    heartbeat_at: datetime | None = None
    plan_id: str | None = None
    database_key: str | None = None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class StepRecord:
    run_id: str
    name: str
    attempt: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    exit_code: int | None
    output_tail: str | None
    detail: dict[str, Any]

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Decision:
    id: int
    run_id: str
    decision: str
    user_id: str
    reason: str | None
    sql_sha256: str | None
    prod_fingerprint: str | None
    snapshot_id: str | None
    git_commit: str | None
    remind_at: datetime | None
    created_at: datetime
    plan_id: str | None = None


@dataclass(frozen=True)
class RecoveryAction:
    id: int
    run_id: str
    action: str
    user_id: str
    note: str | None
    detail: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    run_id: str | None
    target: str | None
    sql_sha256: str | None
    detail: dict[str, Any]
    plan_id: str | None = None


@dataclass(frozen=True)
class Plan:
    """One diff's outcome, immutable once recorded: what reviewers decide on and what apply runs.

    ``sql_bytes`` are the exact bytes reviewed and applied (``sql_sha256`` is over them, not over
    decoded text). ``unappliable`` lists why the bytes cannot run as one transaction (empty:
    they can). A plan is *current* while its run names it and it is not superseded; an approval
    is only accepted for the current plan before ``expires_at``.
    """

    id: str
    run_id: str
    seq: int
    sql_bytes: bytes
    sql_sha256: str
    prod_fingerprint: str
    verdict: str
    created_at: datetime
    snapshot_id: str | None = None
    snapshot_fingerprint: str | None = None
    snapshot_taken_at: datetime | None = None
    git_commit: str | None = None
    unappliable: tuple[str, ...] = ()
    expires_at: datetime | None = None
    superseded_at: datetime | None = None
    superseded_by: str | None = None
    superseded_why: str | None = None

    @property
    def is_superseded(self) -> bool:
        return self.superseded_at is not None

    @property
    def short_id(self) -> str:
        """``p2``: how the card and the terminal name the plan next to its run id."""
        return self.id.rsplit(".", 1)[-1]


def plan_id_for(run_id: str, seq: int) -> str:
    return f"{run_id}.p{seq}"


def run_id_of_plan(plan_id: str) -> str:
    """The run a plan id belongs to (``20261201-3f9a1c.p2`` → ``20261201-3f9a1c``)."""
    run_id, sep, seq = plan_id.rpartition(".p")
    if not sep or not run_id or not seq.isdigit():
        raise ValueError(f"not a plan id: {plan_id!r}")
    return run_id


@dataclass(frozen=True)
class JobRun:
    """One firing of a scheduled job, as claimed by the replica that ran it."""

    job: str
    fired_at: datetime
    owner: str
    started_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None


@dataclass(frozen=True)
class DriftState:
    """What the drift watch last saw on a target (signature is None while in sync)."""

    target: str
    signature: str | None
    in_sync: bool
    statements: int
    checked_at: datetime
    alerted_at: datetime | None

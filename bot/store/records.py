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

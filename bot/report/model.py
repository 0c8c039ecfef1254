"""The alignment report as data: one frozen dataclass per section of the runbook template.

``ReportData`` is what both renderings (Markdown and JSON) are made from, so they can never
disagree. It holds display-ready values: every string in it has already been through the
secret masker, and every checkbox carries the evidence (or the reason it is not ticked).
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "NOT_RUN",
    "ApplySection",
    "Check",
    "CommitView",
    "DecisionView",
    "DiffSection",
    "FindingView",
    "HealthCheckView",
    "HealthSection",
    "NonTransactionalView",
    "RecoverySection",
    "RelatedSection",
    "ReportData",
    "ReportLabels",
    "ReportStatus",
    "ReviewSection",
    "SnapshotSection",
    "StepSection",
    "VerifySection",
]

NOT_RUN = "not run"


@dataclass(frozen=True)
class ReportLabels:
    """What the configuration knows about the run's target, for fields the run itself did not
    record (e.g. the configured apply command of a run rejected before apply)."""

    target_label: str | None = None
    snapshot_provider: str | None = None  # neon | pg_dump | none
    expected_branch: str | None = None
    schema_label: str | None = None  # e.g. "prisma/schema.prisma"
    commands: dict[str, str] = field(default_factory=dict)  # step name -> command text


@dataclass(frozen=True)
class Check:
    """One ``- [ ]`` line: ticked only from recorded evidence; ``note`` says why (not) ticked."""

    label: str
    checked: bool
    note: str = ""


@dataclass(frozen=True)
class StepSection:
    """A numbered workflow step of the template (its command, result and checkboxes)."""

    number: int
    title: str
    status: str  # succeeded | failed | skipped | running | interrupted | not run
    command: str | None
    result: str
    checks: tuple[Check, ...]
    output: str | None = None  # output tail worth showing (failures)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    extra: tuple[tuple[str, str], ...] = ()  # further "**Field:** value" lines


@dataclass(frozen=True)
class DiffSection:
    step: StepSection
    changes: tuple[str, ...]
    no_changes: bool | None
    statement_count: int | None
    sql_file: str | None


@dataclass(frozen=True)
class FindingView:
    code: str
    tier: str
    statement: int | None
    line: int | None
    object: str
    message: str
    suggestion: str


@dataclass(frozen=True)
class DecisionView:
    decision: str  # APPROVED | REJECTED | DEFERRED
    by: str
    at: datetime
    reason: str | None
    sql_sha256: str | None
    remind_at: datetime | None = None
    plan_id: str | None = None  # the plan the decision was made on


@dataclass(frozen=True)
class ReviewSection:
    status: str
    reviewer: str
    verdict: str | None
    none_check: Check
    destructive: tuple[tuple[str, Check, tuple[str, ...]], ...]  # (category, check, objects)
    findings: tuple[FindingView, ...]  # everything but the three categories above
    decision: str  # APPROVED | REJECTED | DEFERRED | PENDING | NOT REQUIRED | NOT MADE
    decision_detail: str
    reasons: tuple[str, ...]
    decisions: tuple[DecisionView, ...]
    reviewed_sha256: str | None
    rehearsal: str | None
    impact: tuple[str, ...]


@dataclass(frozen=True)
class NonTransactionalView:
    index: int | None
    sql: str
    status: str
    error: str | None


@dataclass(frozen=True)
class ApplySection:
    step: StepSection
    sha256_reviewed: str | None
    sha256_applied: str | None
    sha256_match: bool | None
    errors: str | None
    non_transactional: tuple[NonTransactionalView, ...]


@dataclass(frozen=True)
class VerifySection:
    step: StepSection
    final_status: str  # IN SYNC | OUT OF SYNC | NOT VERIFIED
    remaining: tuple[str, ...]
    command_result: str | None
    command_output: str | None


@dataclass(frozen=True)
class RecoverySection:
    checks: tuple[Check, ...]
    details: tuple[str, ...]


@dataclass(frozen=True)
class HealthCheckView:
    name: str
    kind: str
    status: str
    detail: str


@dataclass(frozen=True)
class HealthSection:
    status: str
    checks: tuple[Check, ...]
    results: tuple[HealthCheckView, ...]


@dataclass(frozen=True)
class SnapshotSection:
    name: str
    created: str
    status: str
    provider: str | None
    snapshot_id: str | None
    location: str | None
    size_bytes: int | None


@dataclass(frozen=True)
class CommitView:
    sha: str
    subject: str
    author: str
    date: str


@dataclass(frozen=True)
class RelatedSection:
    schema_changes: tuple[str, ...]
    schema_changes_note: str
    commits: tuple[CommitView, ...]
    commits_note: str


@dataclass(frozen=True)
class ReportStatus:
    kind: str  # FINAL | INCOMPLETE | INTERRUPTED | IN PROGRESS
    text: str  # the whole line, starting with ``kind``


@dataclass(frozen=True)
class ReportData:
    run_id: str
    target: str
    target_label: str
    mode: str
    state: str
    requested_via: str
    date: datetime
    finished_at: datetime | None
    generated_at: datetime
    operator: str
    git_commit: str
    preconditions: StepSection
    dev_sync: StepSection
    diff: DiffSection
    review: ReviewSection
    apply: ApplySection
    verify: VerifySection
    recovery: RecoverySection
    health: HealthSection
    notes: tuple[str, ...]
    snapshot: SnapshotSection
    related: RelatedSection
    status: ReportStatus
    sql: str | None
    sql_sha256: str | None
    sql_file_name: str
    resumed_from: str | None = None

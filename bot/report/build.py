"""Records → :class:`ReportData`: the whole report, truthful for every run state. Pure.

The section builders live in ``steps``, ``review`` and ``aftermath``; this module adds the
header fields, the notes and the report status, then passes every string through the secret
masker (the last line of defence: a secret that slipped into recorded output never reaches the
file).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.report.aftermath import build_health, build_recovery, build_related, build_snapshot
from bot.report.display import number_ranges, step_status, when
from bot.report.facts import Facts
from bot.report.model import NOT_RUN, ReportData, ReportLabels, ReportStatus
from bot.report.review import build_review
from bot.report.steps import (
    build_apply,
    build_dev_sync,
    build_diff,
    build_preconditions,
    build_verify,
)
from bot.secrets import Masker
from bot.store.records import AuditEvent, Decision, RecoveryAction, Run, StepRecord

__all__ = ["build_report", "labels_for", "mask_report"]

_STATE_STEP = {  # where a run in this state is (for "the bot stopped during …")
    "requested": "start-up",
    "preconditions": "the preconditions",
    "dev_sync": "dev sync",
    "diff": "diff generation",
    "awaiting_review": "review",
    "applying": "apply",
    "verifying": "verification",
    "health_checks": "the health checks",
}
_STEP_WORDS = {
    "snapshot": "the snapshot",
    "git_checks": "the git checks",
    "dev_sync": "dev sync",
    "generate_client": "client generation",
    "diff": "diff generation",
    "rehearsal": "the rehearsal",
    "apply": "apply",
    "verify": "verification",
    "verify_command": "the verify command",
    "health_checks": "the health checks",
    "related_changes": "the related-changes lookup",
}


def labels_for(target: Any) -> ReportLabels:
    """Labels from a configured ``bot.config.Target`` (duck-typed so tests may pass None)."""
    if target is None:
        return ReportLabels()
    commands: dict[str, str] = {}
    cmds = getattr(target, "commands", None)
    if cmds is not None:
        for step, argv in (
            ("dev_sync", cmds.dev_sync),
            ("generate_client", cmds.generate_client),
            ("diff", cmds.diff),
            ("apply", cmds.apply),
            ("verify_command", cmds.verify),
        ):
            if argv:
                commands[step] = " ".join(argv)
        commands["diff_output"] = cmds.diff_output
    if "apply" not in commands:
        commands["apply"] = "built-in transactional apply"
    if "diff" not in commands:
        commands["diff"] = "built-in differ"
    return ReportLabels(
        target_label=target.database_label,
        snapshot_provider=target.snapshot,
        expected_branch=cmds.branch if cmds is not None else None,
        schema_label=cmds.schema_path if cmds is not None else None,
        commands=commands,
    )


def build_report(
    run: Run,
    *,
    steps: Iterable[StepRecord] = (),
    decisions: Iterable[Decision] = (),
    recovery: Iterable[RecoveryAction] = (),
    audit: Iterable[AuditEvent] = (),
    labels: ReportLabels | None = None,
    names: Mapping[str, str] | None = None,
    masker: Masker,
    generated_at: datetime,
) -> ReportData:
    facts = Facts(
        run,
        tuple(steps),
        tuple(decisions),
        tuple(recovery),
        tuple(audit),
        labels or ReportLabels(),
        dict(names or {}),
    )
    sql_file_name = f"{run.id}.sql"
    pre, dev = build_preconditions(facts), build_dev_sync(facts)
    diff = build_diff(facts, sql_file_name=sql_file_name)
    no_changes = diff.no_changes is True
    review = build_review(facts, no_changes=no_changes)
    apply, verify = build_apply(facts, no_changes=no_changes), build_verify(facts)
    health = build_health(facts)
    report = ReportData(
        run_id=run.id,
        target=run.target,
        target_label=facts.target_label,
        mode=run.mode,
        state=run.state.value,
        requested_via=run.requested_via,
        date=run.created_at,
        finished_at=run.finished_at,
        generated_at=generated_at,
        operator=facts.who(run.requested_by),
        git_commit=_git_commit(facts),
        preconditions=pre,
        dev_sync=dev,
        diff=diff,
        review=review,
        apply=apply,
        verify=verify,
        recovery=build_recovery(facts),
        health=health,
        notes=(),
        snapshot=build_snapshot(facts),
        related=build_related(
            facts, diff_changes=diff.changes, apply_status=apply.step.status, no_changes=no_changes
        ),
        status=ReportStatus("", ""),
        sql=run.sql_text,
        sql_sha256=run.sql_sha256 or facts.data("diff").get("sha256"),
        sql_file_name=sql_file_name,
        resumed_from=run.resumed_from,
    )
    not_run = _not_run_steps(report)
    report = dataclasses.replace(
        report,
        status=_status(facts, report, not_run),
        notes=tuple(_notes(facts, report, not_run, masker=masker)),
    )
    return mask_report(report, masker)


def _git_commit(facts: Facts) -> str:
    commit = facts.run.git_commit or facts.data("git").get("commit")
    if commit:
        return str(commit)
    if facts.run.mode == "builtin":
        return "none (builtin mode compares databases; there is no git checkout)"
    status = step_status(facts.step.get("git_checks"), run_stopped=facts.stopped)
    return f"not recorded (git checks {status})"


def _sections(report: ReportData) -> list[tuple[int, str]]:
    return [
        (1, report.preconditions.status),
        (2, report.dev_sync.status),
        (3, report.diff.step.status),
        (
            4,
            report.review.status
            if report.review.decision not in ("NOT MADE", "PENDING")
            else NOT_RUN,
        ),
        (5, report.apply.step.status),
        (6, report.verify.step.status),
    ]


def _not_run_steps(report: ReportData) -> list[int]:
    return [n for n, status in _sections(report) if status == NOT_RUN]


def _not_run_text(report: ReportData, not_run: list[int]) -> str:
    parts = []
    if not_run:
        parts.append(f"step{'s' if len(not_run) > 1 else ''} {number_ranges(not_run)} not run")
    if report.health.status == NOT_RUN:
        parts.append("health checks not run")
    return "; ".join(parts)


def _status(facts: Facts, report: ReportData, not_run: list[int]) -> ReportStatus:
    state = facts.run.state.value
    tail = _not_run_text(report, not_run)
    suffix = f"; {tail}" if tail else ""
    decision = facts.decisions[-1] if facts.decisions else None
    if state == "done":
        extra = f" — production {report.verify.final_status}" if report.verify.final_status else ""
        return ReportStatus("FINAL", f"FINAL{extra}")
    if state == "rejected":
        by = f" by {facts.who(decision.user_id)} at {when(decision.created_at)}" if decision else ""
        return ReportStatus("INCOMPLETE", f"INCOMPLETE — run rejected{by}{suffix}")
    if state == "deferred":
        by = f" by {facts.who(decision.user_id)} at {when(decision.created_at)}" if decision else ""
        until = f" (reminder {when(decision.remind_at)})" if decision and decision.remind_at else ""
        return ReportStatus(
            "INCOMPLETE", f"INCOMPLETE — review deferred{by}{until}; the run can be resumed{suffix}"
        )
    if state == "cancelled":
        event = facts.audit_by("run.cancelled")
        by = f" by {facts.who(event.actor)} at {when(event.at)}" if event else ""
        return ReportStatus("INCOMPLETE", f"INCOMPLETE — run cancelled{by}{suffix}")
    if state == "failed":
        failed = [s for s in facts.step.values() if s.status == "failed"]
        where = f" during {_STEP_WORDS.get(failed[-1].name, failed[-1].name)}" if failed else ""
        text = f"INCOMPLETE — run failed{where}"
        if facts.run.error:
            text += f": {facts.run.error.strip().splitlines()[0]}"
        if facts.recovered("restored_snapshot"):
            text += "; production was restored from the snapshot"
        elif facts.data("apply").get("production"):
            text += f"; production {str(facts.data('apply')['production']).upper()}"
        if report.verify.final_status != "NOT VERIFIED":
            text += f"; production verified afterwards: {report.verify.final_status}"
        return ReportStatus("INCOMPLETE", text + suffix)
    if state == "interrupted":
        cut = [s for s in facts.step.values() if s.status == "running"]
        where = _STEP_WORDS.get(cut[-1].name, cut[-1].name) if cut else "an unrecorded step"
        verified = report.verify.final_status
        after = (
            f"production was verified afterwards: {verified}"
            if verified != "NOT VERIFIED"
            else "production has not been verified since"
        )
        if facts.data("apply").get("production"):
            after += f"; production {str(facts.data('apply')['production']).upper()}"
        return ReportStatus(
            "INTERRUPTED", f"INTERRUPTED — the bot stopped during {where}; {after}{suffix}"
        )
    at = _STATE_STEP.get(state, state)
    return ReportStatus(
        "IN PROGRESS", f"IN PROGRESS — the run is at {at}{suffix.replace('not run', 'not run yet')}"
    )


def _notes(facts: Facts, report: ReportData, not_run: list[int], *, masker: Masker) -> list[str]:
    notes: list[str] = [str(n) for n in facts.data_list("notes")]
    notes += [f"Diff warning: {w}" for w in facts.data("diff").get("warnings") or []]
    notes += [f"Reviewer {r}" for r in report.review.reasons]
    if facts.run.error:
        notes.append(f"Error recorded for the run: {facts.run.error}")
    if report.apply.sha256_match is False:
        notes.append("The sha256 of the applied SQL differs from the reviewed SQL.")
    if report.review.rehearsal and report.review.rehearsal.startswith("FAILED"):
        notes.append(f"Rehearsal: {report.review.rehearsal}")
    for name, count in _attempts(facts).items():
        notes.append(
            f"{_STEP_WORDS.get(name, name).capitalize()} ran {count} times; "
            "this report shows the last attempt."
        )
    for step in facts.step.values():
        if step.status == "skipped" and step.detail.get("reason"):
            notes.append(
                f"{_STEP_WORDS.get(step.name, step.name).capitalize()} skipped: "
                f"{step.detail['reason']}"
            )
    if facts.run.resumed_from:
        notes.append(f"This run resumed run `{facts.run.resumed_from}`.")
    if report.sql and masker.mask(report.sql) != report.sql:
        notes.append(
            "The SQL contained text that looks like a secret; it is masked in this report and in "
            "the "
            "attached file, so their sha256 differs from the reviewed SQL's."
        )
    tail = _not_run_text(report, not_run)
    if tail and facts.run.state.value != "done":
        notes.append(f"Not reached by this run: {tail}.")
    if not notes:
        notes.append("Nothing unusual was recorded: no warnings, no errors, no skipped steps.")
    return notes


def _attempts(facts: Facts) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in facts.steps:
        counts[step.name] = max(counts.get(step.name, 0), step.attempt)
    return {name: n for name, n in counts.items() if n > 1}


def mask_report(value: Any, masker: Masker) -> Any:
    """A copy of ``value`` (dataclasses, tuples, lists, dicts, strings) with every string masked."""
    if isinstance(value, str):
        return masker.mask(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: mask_report(getattr(value, f.name), masker) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(mask_report(v, masker) for v in value)
    if isinstance(value, list):
        return [mask_report(v, masker) for v in value]
    if isinstance(value, dict):
        return {mask_report(k, masker): mask_report(v, masker) for k, v in value.items()}
    return value

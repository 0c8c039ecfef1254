"""Sections 1–3 and 5–6 of the runbook (preconditions, dev sync, diff, apply, verification). Pure.

Rule for every checkbox: ticked only when the run recorded evidence for it (run.data written by
the step of the same name, and that step's record succeeded); otherwise it stays ``[ ]`` with a
note saying why (not run, skipped, failed, not configured).
"""

from __future__ import annotations

from typing import Any

from bot.report.display import failure_text, skip_reason, step_result, step_status
from bot.report.facts import Facts
from bot.report.model import (
    NOT_RUN,
    ApplySection,
    Check,
    DiffSection,
    NonTransactionalView,
    StepSection,
    VerifySection,
)

__all__ = [
    "build_apply",
    "build_dev_sync",
    "build_diff",
    "build_preconditions",
    "build_verify",
    "production_now",
]

_PROVIDER = {"neon": "Neon", "pg_dump": "pg_dump"}


def _why_not(facts: Facts, name: str) -> str:
    """The note of an unticked box whose step did not succeed."""
    step = facts.step.get(name)
    status = step_status(step, run_stopped=facts.stopped)
    if status == "skipped":
        reason = skip_reason(step)
        return f"skipped: {reason}" if reason else "skipped"
    if status == "failed":
        text = failure_text(step)
        return f"failed: {text}" if text else "failed"
    return status


def _ok(facts: Facts, name: str) -> bool:
    step = facts.step.get(name)
    return step is not None and step.status == "succeeded"


def _combined_status(statuses: list[str]) -> str:
    for status in ("failed", "interrupted", "running"):
        if status in statuses:
            return status
    if all(s == NOT_RUN for s in statuses):
        return NOT_RUN
    if all(s == "skipped" for s in statuses):
        return "skipped"
    if NOT_RUN in statuses:
        return "partial"
    return "succeeded"


def build_preconditions(facts: Facts) -> StepSection:
    snap, git = facts.data("snapshot"), facts.data("git")
    provider = snap.get("provider") or facts.labels.snapshot_provider
    kind = _PROVIDER.get(provider or "", "")
    label = f"Fresh {kind + ' ' if kind else ''}snapshot of `{facts.target_label}` created"
    if provider == "none" or snap.get("status") == "skipped":
        snap_check = Check(
            label, False, 'not taken: this target is configured with snapshot = "none"'
        )
    elif _ok(facts, "snapshot") and snap.get("status") in ("available", "restored", "deleted"):
        snap_check = Check(label, True, f"`{snap.get('name') or snap.get('id')}`")
    else:
        snap_check = Check(label, False, _why_not(facts, "snapshot"))

    branch = git.get("expected_branch") or facts.labels.expected_branch or "dev"
    branch_label = f"Working on `{branch}` branch"
    clean_label = "Clean working tree confirmed"
    if git and git.get("branch") is not None:  # recorded even when the check failed
        on_branch = git.get("branch") == branch
        branch_check = Check(
            branch_label, on_branch, "" if on_branch else f"checkout is on `{git.get('branch')}`"
        )
        dirty = ", ".join(f"`{f}`" for f in git.get("dirty_files") or [])
        clean = git.get("clean") is True
        clean_check = Check(clean_label, clean, "" if clean else f"uncommitted changes: {dirty}")
    else:
        why = _why_not(facts, "git_checks")
        branch_check, clean_check = Check(branch_label, False, why), Check(clean_label, False, why)

    statuses = [
        step_status(facts.step.get(n), run_stopped=facts.stopped)
        for n in ("snapshot", "git_checks")
    ]
    status = _combined_status(statuses)
    parts = [
        f"snapshot {step_result(facts.step.get('snapshot'), run_stopped=facts.stopped)}",
        f"git checks {step_result(facts.step.get('git_checks'), run_stopped=facts.stopped)}",
    ]
    failed = next(
        (
            facts.step[n]
            for n in ("snapshot", "git_checks")
            if n in facts.step and facts.step[n].status == "failed"
        ),
        None,
    )
    return StepSection(
        number=1,
        title="Preconditions",
        status=status,
        command=None,
        result="; ".join(parts),
        checks=(snap_check, branch_check, clean_check),
        output=failed.output_tail if failed else None,
    )


def build_dev_sync(facts: Facts) -> StepSection:
    data = facts.data("dev_sync")
    step = facts.step.get("dev_sync")
    schema = data.get("schema_file_loaded") or facts.labels.schema_label or "the desired schema"
    sync_label = f"Dev database successfully synced to `{schema}`"
    if _ok(facts, "dev_sync") and data.get("synced") is True:
        sync_check = Check(sync_label, True)
    else:
        sync_check = Check(
            sync_label,
            False,
            _why_not(facts, "dev_sync")
            if not _ok(facts, "dev_sync")
            else "the step did not confirm the sync",
        )
    gen_label = "Prisma client regenerated"
    gen_step = facts.step.get("generate_client")
    if _ok(facts, "generate_client") or (data.get("client_generated") is True and gen_step is None):
        gen_check = Check(gen_label, data.get("client_generated") is not False)
    elif "generate_command" in data and not data.get("generate_command") and gen_step is None:
        gen_check = Check(gen_label, False, "not configured (no generate_client command)")
    else:
        gen_check = Check(gen_label, False, _why_not(facts, "generate_client"))
    extra = []
    gen_command = facts.command("generate_client", data.get("generate_command"))
    if gen_command:
        extra.append(
            (
                "Client generation",
                f"`{gen_command}` — {step_result(gen_step, run_stopped=facts.stopped)}",
            )
        )
    return StepSection(
        number=2,
        title="Dev Sync",
        status=step_status(step, run_stopped=facts.stopped),
        command=facts.command("dev_sync", data.get("command")),
        result=step_result(step, run_stopped=facts.stopped),
        checks=(sync_check, gen_check),
        output=_failed_output(step, gen_step),
        extra=tuple(extra),
    )


def _failed_output(*steps: Any) -> str | None:
    for step in steps:
        if step is not None and step.status == "failed" and step.output_tail:
            return step.output_tail
    return None


def build_diff(facts: Facts, *, sql_file_name: str) -> DiffSection:
    data = facts.data("diff")
    step = facts.step.get("diff")
    ok = _ok(facts, "diff") and bool(data)
    no_changes = data.get("no_changes") if data else None
    count = data.get("statement_count")
    what = ""
    if ok:
        what = (
            "no changes: production already matches the desired schema"
            if no_changes
            else (
                f"{count} statement{'s' if count != 1 else ''} to review"
                if count is not None
                else ""
            )
        )
    sql_file = data.get("sql_file") or (sql_file_name if facts.run.sql_text else None)
    gen_check = Check("SQL diff successfully generated", ok, "" if ok else _why_not(facts, "diff"))
    if ok and sql_file:
        file_check = Check(f"Wrote to: `{sql_file}`", True)
    elif ok:
        file_check = Check("Wrote to: a SQL file", False, "the diff recorded no file")
    else:
        file_check = Check(
            f"Wrote to: `{sql_file or facts.labels.commands.get('diff_output') or sql_file_name}`",
            False,
            _why_not(facts, "diff"),
        )
    changes = tuple(
        str(c.get("text") or f"{c.get('operation', '')} {c.get('object', '')}".strip())
        + (" **(destructive)**" if c.get("destructive") else "")
        for c in data.get("changes") or []
        if isinstance(c, dict)
    )
    extra = []
    sha = data.get("sha256") or facts.run.sql_sha256
    if sha:
        extra.append(("SQL sha256 (reviewed)", f"`{sha}`"))
    section = StepSection(
        number=3,
        title="Prod Diff Generation",
        status=step_status(step, run_stopped=facts.stopped),
        command=facts.command("diff", data.get("command")),
        result=step_result(step, run_stopped=facts.stopped, what=what),
        checks=(gen_check, file_check),
        output=_failed_output(step),
        extra=tuple(extra),
    )
    return DiffSection(section, changes, no_changes, count, sql_file)


def build_apply(facts: Facts, *, no_changes: bool) -> ApplySection:
    data = facts.data("apply")
    step = facts.step.get("apply")
    status = step_status(step, run_stopped=facts.stopped)
    if no_changes and step is None and not data:
        return _nothing_to_apply(facts)
    total, applied = data.get("statements_total"), data.get("statements_applied")
    non_tx = tuple(
        NonTransactionalView(
            n.get("index"), str(n.get("sql", "")), str(n.get("status", "")), n.get("error")
        )
        for n in data.get("non_transactional") or []
        if isinstance(n, dict)
    )
    non_tx_failed = [n for n in non_tx if n.status not in ("succeeded", "applied", "ok")]
    executed = _ok(facts, "apply") and (total is None or applied == total)
    target = f"SQL successfully executed against `{facts.target_label}`"
    no_errors = "No errors encountered"
    error = data.get("error") or (failure_text(step) if status == "failed" else None)
    if executed:
        run_check = Check(
            target, True, f"{applied}/{total} statements" if total is not None else ""
        )
    elif status == "succeeded":
        run_check = Check(target, False, f"only {applied} of {total} statements applied")
    else:
        run_check = Check(
            target, False, _why_not(facts, "apply") if status != "failed" else "failed"
        )
    if executed and not error and not non_tx_failed:
        err_check = Check(no_errors, True)
    elif status in ("succeeded", "failed"):
        err_check = Check(no_errors, False, "errors below")
    else:
        err_check = Check(no_errors, False, status)
    what = ""
    if total is not None and applied is not None:
        what = f"{applied} of {total} statements applied"
        if data.get("duration_s") is not None:
            what += f" in {data['duration_s']:.2f} s"
    if data.get("transaction") == "unknown":  # neither "applied" nor "rolled back" is known
        what = f"all {total} statements ran, then the outcome of COMMIT became unknown"
    if status == "failed" and data.get("failed_statement_index") is not None:
        what += (", " if what else "") + f"failed at statement {data['failed_statement_index']}"
        if data.get("transaction") == "rolled back":  # claimed only when the server said so
            what += "; the transaction was rolled back"
    extra = _production_now(data)
    errors = None
    if error or non_tx_failed:
        lines = []
        if error:
            lines.append(str(error))
        if data.get("failed_statement"):
            lines.append(
                f"-- failed statement #{data.get('failed_statement_index')}:\n"
                f"{data['failed_statement']}"
            )
        for n in non_tx_failed:
            lines.append(
                f"-- non-transactional statement #{n.index} {n.status}: {n.error or ''}".rstrip()
            )
        errors = "\n".join(lines)
    elif status == "failed" and step is not None:
        errors = step.output_tail
    reviewed = data.get("sha256_reviewed") or facts.run.sql_sha256
    applied_sha = data.get("sha256_applied")
    match = (reviewed == applied_sha) if (reviewed and applied_sha) else None
    section = StepSection(
        number=5,
        title="Prod Apply",
        status=status,
        command=facts.command("apply", data.get("command")),
        result=step_result(step, run_stopped=facts.stopped, what=what),
        checks=(run_check, err_check),
        started_at=step.started_at if step else None,
        finished_at=step.finished_at if step else None,
        extra=extra,
    )
    return ApplySection(section, reviewed, applied_sha, match, errors, non_tx)


def production_now(data: dict[str, Any]) -> str | None:
    """``PARTIALLY CHANGED — what remains`` after a failed or interrupted apply (what the run
    recorded production has, run.data["apply"]["production"]); None when nothing was judged."""
    production = data.get("production")
    if not production:
        return None
    detail = data.get("production_detail")
    return f"{str(production).upper()}" + (f" — {detail}" if detail else "")


def _production_now(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    text = production_now(data)
    return (("Production after the failure", text),) if text else ()


def _nothing_to_apply(facts: Facts) -> ApplySection:
    why = "not needed: the diff is empty"
    section = StepSection(
        number=5,
        title="Prod Apply",
        status="not needed",
        command=facts.command("apply"),
        result="NOT NEEDED — the diff is empty, so nothing was applied",
        checks=(
            Check(f"SQL successfully executed against `{facts.target_label}`", False, why),
            Check("No errors encountered", False, why),
        ),
    )
    return ApplySection(section, None, None, None, None, ())


def build_verify(facts: Facts) -> VerifySection:
    data = facts.data("verify")
    step = facts.step.get("verify")
    status = step_status(step, run_stopped=facts.stopped)
    in_sync = data.get("in_sync") if data else None
    schema = facts.labels.schema_label or "the desired schema"
    passed_label = f"Verification PASSED - prod and {schema} in sync"
    failed_label = "Verification FAILED - differences remain"
    if in_sync is True:
        checks = (Check(passed_label, True), Check(failed_label, False))
    elif in_sync is False:
        n = len(data.get("remaining") or [])
        checks = (
            Check(passed_label, False),
            Check(failed_label, True, f"{n} statement(s) still needed"),
        )
    else:
        why = _why_not(facts, "verify")
        checks = (Check(passed_label, False, why), Check(failed_label, False, why))
    if step is None and in_sync is not None:  # verified outside the step (e.g. at start-up)
        status = "succeeded"
    final = facts.run.outcome or (
        "IN SYNC" if in_sync else "OUT OF SYNC" if in_sync is False else "NOT VERIFIED"
    )
    what = {True: "production matches the desired schema", False: "differences remain"}.get(
        in_sync, ""
    )
    command_result, command_output = None, None
    vc = facts.step.get("verify_command")
    if vc is not None or data.get("command"):
        command_result = (
            f"`{data.get('command') or facts.command('verify_command') or 'verify command'}` — "
            + step_result(vc, run_stopped=facts.stopped)
        )
        if data.get("command_exit_code") is not None and vc is None:
            command_result += f" (exit {data['command_exit_code']})"
        tail = data.get("command_output_tail") or (vc.output_tail if vc else None)
        if tail and (
            data.get("command_exit_code") not in (0, None) or (vc and vc.status == "failed")
        ):
            command_output = tail
    section = StepSection(
        number=6,
        title="Verification",
        status=status,
        command=facts.command("verify", None)
        or "built-in verification (production re-diffed against the desired schema)",
        result=step_result(step, run_stopped=facts.stopped, what=what)
        if step is not None
        else (f"CHECKED — {what}" if in_sync is not None else NOT_RUN),
        checks=checks,
        output=step.output_tail if step is not None and status == "failed" else None,
        started_at=step.started_at if step else None,
    )
    return VerifySection(
        section,
        final,
        tuple(str(s) for s in data.get("remaining") or []),
        command_result,
        command_output,
    )

"""The sections after the workflow: recovery, post-alignment validation, snapshot, related
changes. Pure."""

from __future__ import annotations

from bot.report.display import step_status, when
from bot.report.facts import Facts
from bot.report.model import (
    NOT_RUN,
    Check,
    CommitView,
    HealthCheckView,
    HealthSection,
    RecoverySection,
    RelatedSection,
    SnapshotSection,
)

__all__ = ["build_health", "build_recovery", "build_related", "build_snapshot"]

_PROVIDER = {"neon": "Neon", "pg_dump": "pg_dump"}

# Health-check kinds → the template's checkbox (run-data.md); catalog checks count as "db".
HEALTH_BOXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Application started successfully", ("http",)),
    ("Database connections healthy", ("db", "catalog")),
    ("No constraint violations in logs", ("log",)),
    ("User-facing features operational", ("command",)),
)

_RECOVERY_WORDS = {
    "restored_snapshot": "restored production from the snapshot",
    "re_ran": "re-ran the alignment workflow",
    "manual_intervention": "asked for manual intervention",
}


def _production_changed_or_unknown(facts: Facts) -> bool:
    """True when the run may have left production different from before or out of sync. A
    failed apply after which production was re-verified "unchanged" needs no recovery."""
    if facts.data("apply").get("production") == "unchanged":
        return False
    apply_status = step_status(facts.step.get("apply"), run_stopped=facts.stopped)
    outcome = facts.run.outcome or ""
    return apply_status in ("failed", "interrupted") or outcome == "OUT OF SYNC"


def build_recovery(facts: Facts) -> RecoverySection:
    provider = _PROVIDER.get(
        facts.data("snapshot").get("provider") or facts.labels.snapshot_provider or "", ""
    )
    restore_label = f"Restored from {provider + ' ' if provider else ''}snapshot"
    restored = facts.recovered("restored_snapshot")
    re_ran = facts.recovered("re_ran")
    manual = facts.recovered("manual_intervention")
    needed = _production_changed_or_unknown(facts)
    if facts.recovery:
        none_check = Check("No recovery needed", False, "recovery was performed")
    elif needed:
        none_check = Check(
            "No recovery needed",
            False,
            "the run failed or left production out of sync; no recovery recorded yet",
        )
    elif not facts.stopped:
        none_check = Check("No recovery needed", False, "the run is still in progress")
    else:
        none_check = Check("No recovery needed", True)
    checks = (
        none_check,
        Check(restore_label, bool(restored), _by(facts, restored)),
        Check("Re-ran alignment workflow", bool(re_ran), _by(facts, re_ran)),
        Check("Manual intervention required", bool(manual), _by(facts, manual)),
    )
    details = []
    for action in facts.recovery:
        did = _RECOVERY_WORDS.get(action.action, action.action)
        line = f"{when(action.created_at)} — {facts.who(action.user_id)} {did}"
        extra = action.detail or {}
        if extra.get("snapshot"):
            line += f" (`{extra['snapshot']}`)"
        if extra.get("run_id"):
            line += f" (run `{extra['run_id']}`)"
        if action.note:
            line += f": {action.note}"
        if extra.get("outcome"):
            line += f" (afterwards production was {extra['outcome']})"
        details.append(line)
    if not details:
        if needed:
            details.append(
                "No recovery action has been recorded yet; production may need attention."
            )
        elif facts.data("apply").get("production") == "unchanged":
            details.append(
                "None needed: the apply failed, and production was re-verified unchanged "
                "(restoring the snapshot would only throw away writes made since)."
            )
        else:
            details.append("None: production was not left in a bad state by this run.")
    return RecoverySection(checks, tuple(details))


def _by(facts: Facts, actions: list) -> str:
    return ", ".join(f"by {facts.who(a.user_id)} at {when(a.created_at)}" for a in actions)


_AFTER_FAILURE = {
    "unchanged": "None: apply failed and production is unchanged",
    "partially changed": "Part of the plan took effect before apply failed",
    "changed": "Production changed",
    "unknown": "Unknown",
}


def _after_failure(apply: dict) -> str:
    """What the run recorded production has after its apply failed (see Prod Apply)."""
    production = str(apply.get("production"))
    head = _AFTER_FAILURE.get(production, production)
    detail = apply.get("production_detail")
    return f"{head}: {detail}." if detail else f"{head}."


def build_health(facts: Facts) -> HealthSection:
    results = tuple(
        HealthCheckView(
            str(h.get("name", "")),
            str(h.get("kind", "")),
            str(h.get("status", "")),
            str(h.get("detail") or ""),
        )
        for h in facts.data_list("health")
        if isinstance(h, dict)
    )
    step = facts.step.get("health_checks")
    status = step_status(step, run_stopped=facts.stopped)
    if status == NOT_RUN and results:
        status = "succeeded"
    checks = []
    for label, kinds in HEALTH_BOXES:
        ran = [r for r in results if r.kind in kinds and r.status != "SKIPPED"]
        failed = [r.name for r in ran if r.status != "PASS"]
        if status == NOT_RUN and not results:
            checks.append(Check(label, False, NOT_RUN))
        elif not ran:
            checks.append(Check(label, False, "no check of this kind configured"))
        elif failed:
            checks.append(Check(label, False, "FAILED: " + ", ".join(failed)))
        else:
            checks.append(Check(label, True, ", ".join(r.name for r in ran)))
    return HealthSection(status, tuple(checks), results)


def build_snapshot(facts: Facts) -> SnapshotSection:
    snap = facts.data("snapshot")
    provider = snap.get("provider") or facts.labels.snapshot_provider
    if provider == "none" or snap.get("status") == "skipped":
        return SnapshotSection(
            name='none — snapshots are off for this target (snapshot = "none")',
            created="not taken",
            status="skipped",
            provider=provider,
            snapshot_id=None,
            location=None,
            size_bytes=None,
        )
    if not snap:
        why = step_status(facts.step.get("snapshot"), run_stopped=facts.stopped)
        return SnapshotSection(
            f"none — snapshot step {why}", "not taken", why, provider, None, None, None
        )
    status = str(snap.get("status") or "unknown")
    if facts.recovered("restored_snapshot") and status == "available":
        status = "restored"
    return SnapshotSection(
        name=str(snap.get("name") or snap.get("id") or facts.run.snapshot_id or "unnamed"),
        created=when(snap.get("created_at")) if snap.get("created_at") else "unknown",
        status=status,
        provider=provider,
        snapshot_id=str(snap.get("id") or facts.run.snapshot_id or "") or None,
        location=snap.get("path"),
        size_bytes=snap.get("size_bytes"),
    )


def build_related(
    facts: Facts, *, diff_changes: tuple[str, ...], apply_status: str, no_changes: bool
) -> RelatedSection:
    related = facts.data("related")
    changes = tuple(str(c) for c in related.get("schema_changes") or [])
    note = ""
    if changes:
        pass
    elif apply_status == "succeeded" and diff_changes:
        changes = diff_changes
    elif no_changes:
        note = "None: production already matched the desired schema."
    elif apply_status == "succeeded":
        note = "None recorded."
    elif facts.data("apply").get("production") and apply_status in ("failed", "interrupted"):
        note = _after_failure(facts.data("apply"))
    elif apply_status == "interrupted":
        note = "Unknown: apply was interrupted; Verification shows what production still lacks."
    elif apply_status == "failed" and facts.data("apply").get("transaction") == "rolled back":
        note = "None: apply failed and its transaction was rolled back."
    elif apply_status == "failed":
        note = "Unknown: apply failed; Verification shows what production still lacks."
    else:
        note = "None: nothing was applied to production by this run."
    commits = tuple(
        CommitView(
            str(c.get("sha", "")),
            str(c.get("subject", "")),
            str(c.get("author", "")),
            str(c.get("date", "")),
        )
        for c in related.get("commits") or []
        if isinstance(c, dict)
    )
    if commits:
        commits_note = ""
    elif facts.run.mode == "builtin" and not related:
        commits_note = "None: builtin mode compares databases and has no git checkout to read."
    elif step_status(facts.step.get("related_changes"), run_stopped=facts.stopped) == NOT_RUN:
        commits_note = "Not looked up: the related-changes step did not run."
    else:
        commits_note = "No commit touching the schema was found."
    return RelatedSection(changes, note, commits, commits_note)

"""The one channel message per run, rebuilt from the store every time it is edited.

It shows the target, the requester, every step with its status and duration, the apply's
progress, who decided what and when, the failure (error and recovery buttons) and, at the end,
the one-line outcome. After a failure it says what the run did to production (unchanged after a
rolled-back apply: Re-run is offered and Restore is not) before the recovery buttons. Because it
is a pure function of stored records, a missed update is repaired by the next one: catching up
after a Slack outage is just rendering again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.slack import ids
from bot.slack.blocks import Message, escape
from bot.slack.format import button, clip, context, mention, section, slack_date
from bot.workflow.restore_rules import (
    CHANGED,
    PARTIALLY_CHANGED,
    UNCHANGED,
    UNKNOWN,
    production_after,
    restorable_snapshot,
)

if TYPE_CHECKING:
    from bot.store.records import Decision, RecoveryAction, Run, StepRecord

__all__ = ["STEP_ORDER", "RunView", "format_duration", "outcome_line", "run_message"]

STEP_ORDER = (
    "snapshot",
    "git_checks",
    "dev_sync",
    "generate_client",
    "diff",
    "rehearsal",
    "apply",
    "verify",
    "verify_command",
    "health_checks",
    "related_changes",
)
_STEP_EMOJI = {
    "running": ":hourglass_flowing_sand:",
    "succeeded": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":fast_forward:",
}
_STATE_LINE = {
    "requested": ":hourglass_flowing_sand: requested",
    "preconditions": ":hourglass_flowing_sand: checking preconditions",
    "dev_sync": ":hourglass_flowing_sand: syncing the desired schema",
    "diff": ":hourglass_flowing_sand: computing the diff",
    "awaiting_review": ":eyes: waiting for review (the card is in the thread)",
    "applying": ":gear: applying",
    "verifying": ":mag: verifying",
    "health_checks": ":stethoscope: health checks",
    "done": ":white_check_mark: done",
    "rejected": ":no_entry_sign: rejected",
    "deferred": ":double_vertical_bar: deferred",
    "cancelled": ":heavy_multiplication_x: cancelled",
    "failed": ":x: failed",
    "interrupted": ":warning: interrupted (the bot stopped mid-run)",
}
_RECOVERY_WORDS = {
    "restored_snapshot": "restored the snapshot",
    "re_ran": "re-ran",
    "manual_intervention": "marked a manual intervention",
}


@dataclass(frozen=True)
class RunView:
    """Everything the run message shows (read from the store by the messenger)."""

    run: Run
    steps: Sequence[StepRecord] = ()
    decisions: Sequence[Decision] = ()
    recoveries: Sequence[RecoveryAction] = ()
    progress: tuple[int, int] | None = None  # apply: (done, total)
    oncall: Sequence[str] = ()


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _latest_steps(steps: Sequence[StepRecord]) -> list[StepRecord]:
    latest: dict[str, StepRecord] = {}
    for step in steps:
        if step.name not in latest or step.attempt >= latest[step.name].attempt:
            latest[step.name] = step
    known = [latest[n] for n in STEP_ORDER if n in latest]
    return known + [s for n, s in sorted(latest.items()) if n not in STEP_ORDER]


def _step_line(step: StepRecord, progress: tuple[int, int] | None) -> str:
    emoji = _STEP_EMOJI.get(step.status, ":grey_question:")
    line = f"{emoji} {escape(step.name)}"
    if step.attempt > 1:
        line += f" (attempt {step.attempt})"
    if step.status == "running":
        if step.name == "apply" and progress:
            line += f" — {progress[0]:,}/{progress[1]:,} statements"
        return line + " …"
    duration = step.duration_s
    if duration is not None:
        line += f" — {format_duration(duration)}"
    if step.status == "skipped":
        reason = (step.detail or {}).get("reason")
        if reason:
            line += f" ({escape(str(reason))[:80]})"
    return line


def outcome_line(run: Run) -> str | None:
    """``IN SYNC · 12 statements applied · 41.3 s`` once the run has an outcome."""
    if not run.outcome:
        return None
    applied = (run.data.get("apply") or {}).get("statements_applied", 0)
    parts = [f"*{escape(run.outcome)}*", f"{applied:,} statement{'s' * (applied != 1)} applied"]
    if run.finished_at is not None:
        parts.append(format_duration((run.finished_at - run.created_at).total_seconds()))
    return " · ".join(parts)


def _decision_lines(view: RunView) -> list[str]:
    lines = []
    for d in view.decisions:
        line = (
            f"{escape(d.decision).capitalize()} by {mention(d.user_id)} {slack_date(d.created_at)}"
        )
        if d.reason:
            line += f": _{escape(clip(d.reason, 300))}_"
        lines.append(line)
    for r in view.recoveries:
        words = _RECOVERY_WORDS.get(r.action, escape(r.action))
        line = f"{mention(r.user_id)} {words} {slack_date(r.created_at)}"
        if r.note:
            line += f": _{escape(clip(r.note, 300))}_"
        lines.append(line)
    return lines


_PRODUCTION_LINE = {
    UNCHANGED: ":white_check_mark: *Production unchanged*: the apply was rolled back, nothing "
    "was applied. Fix the cause and re-run; restoring the snapshot would only throw away "
    "writes made since it was taken.",
    PARTIALLY_CHANGED: ":warning: *Production partially changed*: part of the change was applied.",
    CHANGED: ":warning: *Production changed*: the apply went through before the run failed.",
    UNKNOWN: ":grey_question: *Production state unknown*: check production before choosing "
    "a recovery.",
}


def _recovery_buttons(run: Run, production: str) -> dict[str, Any]:
    """Re-run first; Restore (which opens a confirm dialog listing what it would throw away)
    only when production may have been changed and the snapshot still exists."""
    elements = [button("Re-run", ids.ACTION_RERUN, run.id)]
    if production != UNCHANGED and restorable_snapshot(run) is not None:
        elements.append(button("Restore snapshot…", ids.ACTION_RESTORE, run.id, style="danger"))
    elements.append(button("Mark manual intervention", ids.ACTION_MANUAL, run.id))
    return {"type": "actions", "block_id": ids.BLOCK_RUN_RECOVERY, "elements": elements}


def run_message(view: RunView) -> Message:
    run = view.run
    state = run.state.value
    header = (
        f"*Schema alignment of `{escape(run.target)}`* · run `{escape(run.id)}` · "
        f"requested by {mention(run.requested_by)}\n{_STATE_LINE.get(state, escape(state))}"
    )
    blocks: list[dict[str, Any]] = [section(header, block_id=ids.BLOCK_RUN_HEADER)]
    steps = _latest_steps(view.steps)
    if steps:
        body = "\n".join(_step_line(s, view.progress) for s in steps)
        blocks.append(section(body, block_id=ids.BLOCK_RUN_STEPS))
    lines = _decision_lines(view)
    if lines:
        blocks.append(section("\n".join(lines[-15:])))
    outcome = outcome_line(run)
    if outcome:
        blocks.append(section(outcome, block_id=ids.BLOCK_RUN_OUTCOME))
    if state == "deferred":
        blocks.append(context(f"Resume with `/align resume {escape(run.id)}`."))
    if state in ("failed", "interrupted"):
        who = " ".join(mention(p) for p in view.oncall) or "on-call"
        error = run.error or (run.data.get("notes") or ["no error recorded"])[-1]
        blocks.append(
            section(f"{who}: this run needs attention.\n```{escape(clip(error, 2500))}```")
        )
        production = production_after(run, view.steps)
        blocks.append(section(_PRODUCTION_LINE[production], block_id=ids.BLOCK_RUN_PRODUCTION))
        blocks.append(_recovery_buttons(run, production))
    text = f"align {run.target} run {run.id}: {state}" + (
        f" — {run.outcome}" if run.outcome else ""
    )
    return Message(text=clip(text, 300), blocks=blocks)

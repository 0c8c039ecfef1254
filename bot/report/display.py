"""How people, times, durations and step records read in the report. Pure.

The report is a file, not a Slack message: a Slack user id is shown as ``U0ALICE01 (Slack)``
(never ``<@U…>``), optionally with a display name when the caller knows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.store.records import StepRecord

_SLACK_ID = re.compile(r"^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")

_VIA = {"cli": "CLI", "demo": "align demo", "schedule": "scheduler"}


def person(user: str | None, *, via: str | None = None, names: Mapping[str, str] = {}) -> str:
    """``U0ALICE01 (Slack)``, ``Alice (U0ALICE01, Slack)`` or ``alice (CLI)``."""
    if not user:
        return "unknown"
    match = _SLACK_ID.match(user.strip())
    if match:
        uid = match[1]
        name = names.get(uid)
        return f"{name} ({uid}, Slack)" if name else f"{uid} (Slack)"
    name = names.get(user)
    where = _VIA.get(via or "", "")
    if name:
        return f"{name} ({user}, {where})" if where else f"{name} ({user})"
    return f"{user} ({where})" if where else user


def when(moment: datetime | str | None) -> str:
    """A timestamp in UTC to the second, e.g. ``2026-11-24 14:03:05 UTC``."""
    if moment is None:
        return "unknown"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"


def latest_steps(steps: Iterable[StepRecord]) -> dict[str, StepRecord]:
    """The last attempt of each step, by name."""
    latest: dict[str, StepRecord] = {}
    for step in steps:
        held = latest.get(step.name)
        if held is None or step.attempt > held.attempt:
            latest[step.name] = step
    return latest


def step_status(step: StepRecord | None, *, run_stopped: bool) -> str:
    """``not run`` without a record; a step left ``running`` by a stopped run was interrupted."""
    if step is None:
        return "not run"
    if step.status == "running" and run_stopped:
        return "interrupted"
    if step.status == "not_run":
        return "not run"
    return step.status


def step_result(step: StepRecord | None, *, run_stopped: bool, what: str = "") -> str:
    """One line: ``SUCCEEDED (exit 0, 3.2 s) — what`` / ``FAILED …`` / ``not run``."""
    status = step_status(step, run_stopped=run_stopped)
    if step is None or status == "not run":
        return "not run"
    if status == "skipped":
        reason = skip_reason(step)
        return f"SKIPPED — {reason}" if reason else "SKIPPED"
    if status == "running":
        return f"RUNNING since {when(step.started_at)}"
    if status == "interrupted":
        started = when(step.started_at)
        return f"INTERRUPTED — the bot stopped while this step was running (started {started})"
    parts = []
    if step.exit_code is not None:
        parts.append(f"exit {step.exit_code}")
    if step.duration_s is not None:
        parts.append(seconds(step.duration_s))
    head = status.upper() + (f" ({', '.join(parts)})" if parts else "")
    return f"{head} — {what}" if what else head


def skip_reason(step: StepRecord | None) -> str:
    if step is None:
        return ""
    detail: Mapping[str, Any] = step.detail or {}
    for key in ("reason", "note", "message"):
        if detail.get(key):
            return str(detail[key])
    return (step.output_tail or "").strip().splitlines()[-1] if step.output_tail else ""


def failure_text(step: StepRecord | None) -> str:
    """What a failed step said: its recorded error, else the last line of its output."""
    if step is None:
        return ""
    detail: Mapping[str, Any] = step.detail or {}
    if detail.get("error"):
        return str(detail["error"])
    lines = (step.output_tail or "").strip().splitlines()
    return lines[-1] if lines else ""


def number_ranges(numbers: Iterable[int]) -> str:
    """``[2, 3, 4, 6]`` → ``2–4, 6``."""
    values = sorted(set(numbers))
    groups: list[list[int]] = []
    for n in values:
        if groups and n == groups[-1][-1] + 1:
            groups[-1].append(n)
        else:
            groups.append([n])
    return ", ".join(str(g[0]) if len(g) == 1 else f"{g[0]}–{g[-1]}" for g in groups)

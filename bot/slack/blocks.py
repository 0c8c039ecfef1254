"""Pure Block Kit builders for the bot's replies (dicts out, always within Slack's limits).

Every builder returns a :class:`Message`: the ``text`` fallback Slack uses for notifications and
the ``blocks``. Untrusted text (user input, run errors) goes through :func:`escape` and is cut to
the section limit, so a long error can never make Slack answer ``invalid_blocks``.
No I/O here: a test of a builder needs no event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.slack import ids

if TYPE_CHECKING:
    from bot.store.records import AuditEvent, Run

__all__ = [
    "SECTION_LIMIT",
    "CommandHelp",
    "Message",
    "error_message",
    "escape",
    "format_age",
    "help_message",
    "run_detail_message",
    "status_message",
    "unknown_run_message",
    "with_refusals",
]

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
# A user mention survives escaping (refusals name who holds a target): it can only ping.
_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,30})&gt;")
REFUSALS_SHOWN = 10
_STATE_EMOJI = {
    "done": ":white_check_mark:",
    "failed": ":x:",
    "rejected": ":no_entry_sign:",
    "cancelled": ":heavy_multiplication_x:",
    "interrupted": ":warning:",
    "deferred": ":double_vertical_bar:",
    "awaiting_review": ":eyes:",
}


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CommandHelp:
    """One line of ``/align help``: how to type it and what it does."""

    usage: str
    summary: str


def escape(text: str) -> str:
    """Escape untrusted text for mrkdwn: only ``&``, ``<`` and ``>`` (Slack's rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PRINCIPAL = re.compile(r"^[UWS][A-Z0-9]{2,}$")


def mention(principal: str) -> str:
    """``<@U…>`` for a user, ``<!subteam^S…>`` for a user group; anything else shown escaped."""
    if not _PRINCIPAL.match(principal or ""):
        return f"`{escape(principal or '?')}`"
    if principal.startswith("S"):
        return f"<!subteam^{principal}>"
    return f"<@{principal}>"


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}
    if block_id:
        block["block_id"] = block_id
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def format_age(then: datetime, now: datetime) -> str:
    """``"just now"``, ``"5m ago"``, ``"3h ago"``, ``"2d ago"``."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"  # unreachable; keeps type checkers calm


def help_message(
    commands: Sequence[CommandHelp], *, targets: Iterable[str], problem: str | None = None
) -> Message:
    """The ``/align help`` reply; ``problem`` (already mrkdwn) says what was wrong first."""
    lines = [f"`{c.usage}` — {c.summary}" for c in commands]
    names = ", ".join(f"`{escape(t)}`" for t in sorted(targets)) or "none"
    blocks: list[dict[str, Any]] = []
    if problem:
        blocks.append(_section(f":warning: {problem}", block_id=ids.BLOCK_PROBLEM))
    blocks.append(
        _section(
            "*align-bot* — safe, reviewed production schema alignment\n" + "\n".join(lines),
            block_id=ids.BLOCK_HELP,
        )
    )
    blocks.append(_context(f"Configured targets: {names}"))
    text = (f"{problem} " if problem else "") + "Usage: " + "; ".join(c.usage for c in commands)
    return Message(text=_clip(text), blocks=blocks)


def _run_line(run: Run, now: datetime) -> str:
    emoji = _STATE_EMOJI.get(run.state.value, ":hourglass_flowing_sand:")
    outcome = f" ({escape(run.outcome)})" if run.outcome else ""
    return (
        f"{emoji} `{escape(run.id)}` *{run.state.value}*{outcome} · "
        f"{mention(run.requested_by)} · {format_age(run.created_at, now)}"
    )


def status_message(
    runs_by_target: Mapping[str, Sequence[Run]], *, targets: Iterable[str], now: datetime
) -> Message:
    """``/align status``: the latest runs per target (configured targets first)."""
    configured = list(targets)
    order = configured + sorted(t for t in runs_by_target if t not in configured)
    if not any(runs_by_target.get(t) for t in order):
        names = ", ".join(f"`{escape(t)}`" for t in configured) or "none"
        return Message(
            text="No runs yet.",
            blocks=[
                _section("No runs yet.", block_id=ids.BLOCK_STATUS),
                _context(f"Configured targets: {names}"),
            ],
        )
    blocks: list[dict[str, Any]] = [_section("*Latest runs*", block_id=ids.BLOCK_STATUS)]
    for target in order:
        runs = runs_by_target.get(target) or []
        body = "\n".join(_run_line(r, now) for r in runs) if runs else "_no runs yet_"
        blocks.append(_section(f"*{escape(target)}*\n{body}"))
        if len(blocks) >= MAX_BLOCKS - 1:
            break
    blocks.append(_context("`/align status RUN_ID` shows one run in detail."))
    summary = "; ".join(
        f"{t}: {runs_by_target[t][0].id} {runs_by_target[t][0].state.value}"
        for t in order
        if runs_by_target.get(t)
    )
    return Message(text=_clip(f"Latest runs — {summary}"), blocks=blocks)


def run_detail_message(run: Run, *, now: datetime) -> Message:
    """``/align status RUN_ID``: one run's facts."""
    fields = [
        ("Target", f"`{escape(run.target)}` ({escape(run.mode)} mode)"),
        ("State", run.state.value + (f" — {escape(run.outcome)}" if run.outcome else "")),
        ("Requested by", f"{mention(run.requested_by)} via {escape(run.requested_via)}"),
        ("Requested", f"{run.created_at:%Y-%m-%d %H:%M UTC} ({format_age(run.created_at, now)})"),
    ]
    if run.finished_at:
        fields.append(("Finished", f"{run.finished_at:%Y-%m-%d %H:%M UTC}"))
    if run.sql_sha256:
        fields.append(("SQL sha256", f"`{run.sql_sha256[:16]}…`"))
    if run.snapshot_id:
        fields.append(("Snapshot", f"`{escape(run.snapshot_id)}`"))
    body = "\n".join(f"*{name}:* {value}" for name, value in fields)
    blocks = [_section(f"*Run `{escape(run.id)}`*\n{body}", block_id=ids.BLOCK_RUN)]
    if run.error:
        blocks.append(_section(f"*Error:*\n```{escape(_clip(run.error, 2900))}```"))
    return Message(text=f"Run {run.id}: {run.target} {run.state.value}", blocks=blocks)


def unknown_run_message(run_id: str) -> Message:
    text = f"No run `{escape(run_id)}` found. `/align status` lists the latest runs."
    return Message(text=_clip(text), blocks=[_section(text, block_id=ids.BLOCK_ERROR)])


def error_message(text: str) -> Message:
    """A failure reply; ``text`` is a user message (already free of secrets), escaped here."""
    body = _MENTION.sub(r"<@\1>", f":warning: {escape(text)}")
    return Message(text=_clip(body), blocks=[_section(body, block_id=ids.BLOCK_ERROR)])


def _refusal_line(event: AuditEvent, now: datetime) -> str:
    what = event.action.removesuffix(".refused")
    why = str((event.detail or {}).get("why") or "no reason recorded")
    where = f"`{escape(event.target)}`" if event.target else "no target"
    run = f" run `{escape(event.run_id)}`" if event.run_id else ""
    return (
        f":no_entry: `{escape(what)}` by {mention(event.actor)} on {where}{run} · "
        f"{escape(_clip(why, 200))} · {format_age(event.at, now)}"
    )


def with_refusals(message: Message, refusals: Sequence[AuditEvent], *, now: datetime) -> Message:
    """``/align history`` for a reviewer: ``message`` plus the latest refused requests, clicks
    and submissions (newest first), so probing who may do what is visible to those who review.
    """
    if not refusals:
        return message
    lines = [_refusal_line(e, now) for e in refusals[:REFUSALS_SHOWN]]
    section = _section("*Refused recently*\n" + "\n".join(lines), block_id=ids.BLOCK_REFUSALS)
    blocks = list(message.blocks)
    at = len(blocks) - 1 if blocks and blocks[-1].get("type") == "context" else len(blocks)
    blocks.insert(at, section)
    text = _clip(f"{message.text}; {len(refusals)} refused recently", 300)
    return Message(text=text, blocks=blocks[:MAX_BLOCKS])

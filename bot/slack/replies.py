"""Pure builders for the short ephemeral replies of ``/align`` subcommands and clicks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.slack import ids
from bot.slack.blocks import Message, escape, format_age
from bot.slack.format import clip, context, mention, section

if TYPE_CHECKING:
    from bot.store.records import Run
    from bot.workflow.drift import Drift

__all__ = ["drift_message", "history_message", "notice", "refusal"]

_SHOWN_DIFFERENCES = 8


def notice(text: str) -> Message:
    """A plain confirmation; ``text`` is mrkdwn the caller built (user parts escaped)."""
    return Message(text=clip(text, 300), blocks=[section(text)])


def refusal(reason: str) -> Message:
    """A refused click or command: the rule that refused, as the user should read it."""
    body = f":no_entry: Not done: {escape(reason)}"
    return Message(text=clip(body, 300), blocks=[section(body, block_id=ids.BLOCK_ERROR)])


def history_message(target: str | None, runs: Sequence[Run], *, now: datetime) -> Message:
    where = f"`{escape(target)}`" if target else "all targets"
    if not runs:
        return notice(f"No runs yet for {where}.")
    lines = []
    for run in runs:
        outcome = f" — {escape(run.outcome)}" if run.outcome else ""
        lines.append(
            f"`{escape(run.id)}` `{escape(run.target)}` *{run.state.value}*{outcome} · "
            f"{mention(run.requested_by)} · {format_age(run.created_at, now)}"
        )
    blocks = [section(f"*History of {where}*\n" + "\n".join(lines))]
    blocks.append(
        context("`/align status RUN_ID` for details, `/align report RUN_ID` for the report.")
    )
    return Message(
        text=clip(f"History of {target or 'all targets'}: {len(runs)} runs", 300), blocks=blocks
    )


def drift_message(drift: Drift) -> Message:
    target = escape(drift.target)
    if drift.in_sync:
        return notice(f":white_check_mark: `{target}` is IN SYNC with its desired schema.")
    items = (*drift.objects, *(f"cannot plan: {u}" for u in drift.unplanned))
    n = len(items)
    shown = "\n".join(f"• {escape(clip(o, 200))}" for o in items[:_SHOWN_DIFFERENCES])
    more = f"\n… and {n - _SHOWN_DIFFERENCES} more" if n > _SHOWN_DIFFERENCES else ""
    destructive = f", {drift.destructive} destructive" if drift.destructive else ""
    head = f":warning: `{target}` is OUT OF SYNC: {n} difference{'s' * (n != 1)}{destructive}."
    blocks = [section(f"{head}\n{shown}{more}")]
    blocks.append(context(f"Nothing was changed. `/align start {target}` starts a reviewed run."))
    return Message(text=clip(f"{drift.target} is OUT OF SYNC: {n} differences", 300), blocks=blocks)

"""Pure Block Kit builders for what the scheduler posts on its own: drift alerts, "back in
sync" notes, review reminders and expired-approval notices. Dicts out, within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.slack import ids
from bot.slack.blocks import Message, escape, format_age
from bot.slack.format import button, clip, context, mention, section, slack_date

__all__ = [
    "DRIFT_OBJECTS_SHOWN",
    "back_in_sync_message",
    "deferred_reminder_message",
    "drift_alert_message",
    "expired_review_message",
    "report_failed_message",
    "review_reminder_message",
]

DRIFT_OBJECTS_SHOWN = 10


def _mentions(reviewers: Sequence[str]) -> str:
    return " ".join(mention(r) for r in reviewers) or "Reviewers"


def drift_alert_message(
    *,
    target: str,
    objects: Sequence[str],
    destructive: int,
    signature: str,
    checked_at: datetime,
    changed: bool,
    unplanned: Sequence[str] = (),
) -> Message:
    """Production differs from the desired schema: how much, what, and a button to align.

    ``changed``: an earlier, different drift was already reported (the wording says so).
    ``unplanned``: differences no statement makes (``Plan.unplanned``), listed after them."""
    count = len(objects)
    noun = "statement" if count == 1 else "statements"
    what = "Drift changed" if changed else "Drift detected"
    cannot = f" and {len(unplanned)} difference(s) align cannot plan" if unplanned else ""
    headline = (
        f":warning: *{what} on `{escape(target)}`*: production differs from the desired "
        f"schema — {count} {noun} needed to align"
        + (f", *{destructive} destructive*" if destructive else "")
        + cannot
        + "."
    )
    items = [f"`{escape(o)}`" for o in objects]
    items += [f"cannot plan: {escape(u)}" for u in unplanned]
    shown = [f"• {i}" for i in items[:DRIFT_OBJECTS_SHOWN]]
    if len(items) > DRIFT_OBJECTS_SHOWN:
        shown.append(f"_…and {len(items) - DRIFT_OBJECTS_SHOWN} more_")
    blocks: list[dict[str, Any]] = [
        section(headline, block_id=ids.BLOCK_DRIFT),
        section(clip("\n".join(shown))),
        {
            "type": "actions",
            "block_id": ids.BLOCK_DRIFT_ACTIONS,
            "elements": [
                button("Start alignment", ids.ACTION_DRIFT_START, target, style="primary")
            ],
        },
        context(
            f"Drift watch · checked {slack_date(checked_at)} · signature `{signature}` · "
            "the alignment run snapshots production and asks for review before changing it."
        ),
    ]
    text = f"{what} on {target}: {count} {noun} needed to align ({destructive} destructive){cannot}"
    return Message(text=text, blocks=blocks)


def back_in_sync_message(*, target: str, checked_at: datetime) -> Message:
    body = f":white_check_mark: `{escape(target)}` is back in sync with the desired schema."
    return Message(
        text=f"{target} is back in sync with the desired schema",
        blocks=[
            section(body, block_id=ids.BLOCK_IN_SYNC),
            context(f"Drift watch · checked {slack_date(checked_at)}"),
        ],
    )


def review_reminder_message(
    *,
    run_id: str,
    target: str,
    waiting_since: datetime,
    now: datetime,
    reviewers: Sequence[str],
    expires_at: datetime | None,
) -> Message:
    """A run has been waiting for review: nudge the reviewers."""
    age = format_age(waiting_since, now).removesuffix(" ago")
    body = (
        f":eyes: {_mentions(reviewers)}: run `{escape(run_id)}` on `{escape(target)}` has been "
        f"waiting for review for {age}."
    )
    if expires_at is not None:
        body += f" The approval window closes {slack_date(expires_at)}."
    return Message(
        text=f"Run {run_id} on {target} is waiting for review ({age})",
        blocks=[section(body, block_id=ids.BLOCK_REMINDER)],
    )


def deferred_reminder_message(
    *, run_id: str, target: str, remind_at: datetime, reviewers: Sequence[str], reason: str | None
) -> Message:
    """A deferred run's reminder time has come."""
    body = (
        f":alarm_clock: {_mentions(reviewers)}: run `{escape(run_id)}` on `{escape(target)}` "
        f"was deferred until {slack_date(remind_at)}. Resume it to re-diff and review again."
    )
    if reason:
        body += f"\n>{escape(clip(reason, 500))}"
    return Message(
        text=f"Reminder: deferred run {run_id} on {target}",
        blocks=[section(body, block_id=ids.BLOCK_REMINDER)],
    )


def expired_review_message(
    *, run_id: str, target: str, expired_at: datetime, reviewers: Sequence[str]
) -> Message:
    """The approval window of a run awaiting review has closed."""
    body = (
        f":hourglass: {_mentions(reviewers)}: the approval window of run `{escape(run_id)}` on "
        f"`{escape(target)}` closed {slack_date(expired_at)}. Approving now starts a fresh diff "
        "of production, which then needs a new review."
    )
    return Message(
        text=f"The approval window of run {run_id} on {target} expired",
        blocks=[section(body, block_id=ids.BLOCK_EXPIRED)],
    )


def report_failed_message(*, run_id: str, target: str, reason: str, stage: str) -> Message:
    """The run's report could not be written (``stage="write"``) or delivered (``"upload"``):
    said in the run's thread, so nobody waits for a report that is not coming."""
    what = "written" if stage == "write" else "uploaded"
    body = (
        f":warning: The alignment report of run `{escape(run_id)}` on `{escape(target)}` could "
        f"not be {what}:\n```{escape(clip(reason, 1500))}```\nThe run's outcome is recorded in "
        f"the bot's store; `/align report {escape(run_id)}` renders the report again once this "
        "is fixed."
    )
    return Message(
        text=clip(f"The report of run {run_id} on {target} could not be {what}: {reason}", 300),
        blocks=[section(body)],
    )

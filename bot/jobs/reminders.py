"""Review reminders and approval expiry notices.

- A run waiting for review longer than ``after`` gets a reminder mentioning the reviewers, at
  most once per ``every`` (last reminder time kept in ``run.data["reminders"]``).
- A deferred run whose ``remind_at`` has passed gets one reminder (marked with that
  ``remind_at``, so deferring again to a later time reminds again).
- A run whose approval window (``approval_expires_at``) has closed gets one notice that
  approving now re-diffs (the Runner refuses expired approvals and starts a fresh diff);
  marked in ``run.data["expiry_notice"]``.

Notices go in the run's thread when its message is known, else to its channel. Each is also
recorded in the audit log. A failed post is not marked, so the next firing tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.errors import NotifyError
from bot.jobs.deps import JobDeps, channel_for
from bot.log import log_context
from bot.slack.blocks import Message
from bot.slack.notices import (
    deferred_reminder_message,
    expired_review_message,
    review_reminder_message,
)
from bot.store import Run
from bot.workflow.run import RunState

log = logging.getLogger(__name__)

__all__ = ["REMIND_AFTER", "REMIND_EVERY", "expire_approvals", "remind_reviews"]

REMIND_AFTER = timedelta(minutes=30)
REMIND_EVERY = timedelta(hours=1)


def _reviewers(deps: JobDeps) -> tuple[str, ...]:
    return deps.settings.policy.reviewers or deps.settings.oncall


def _waiting_since(deps: JobDeps, run: Run) -> datetime:
    if run.approval_expires_at is not None:
        return run.approval_expires_at - timedelta(seconds=deps.settings.timeouts.approval_ttl_s)
    return run.updated_at


async def _post(deps: JobDeps, run: Run, message: Message) -> bool:
    channel = channel_for(deps.settings, run.target, run)
    if channel is None:
        log.warning("notice not posted: no channel for the run")
        return False
    thread = run.message_ts if run.channel == channel else None
    try:
        await deps.notifier.post_message(channel, message, thread_ts=thread)
    except NotifyError as exc:
        log.warning("notice not posted: %s", exc.message)
        return False
    return True


async def remind_reviews(
    deps: JobDeps, *, after: timedelta = REMIND_AFTER, every: timedelta = REMIND_EVERY
) -> dict[str, Any]:
    """Remind reviewers of waiting and deferred runs; returns the run ids reminded."""
    now = deps.clock.now()
    reminded: dict[str, list[str]] = {"review": [], "deferred": []}
    for run in await deps.store.runs_in_states([RunState.AWAITING_REVIEW, RunState.DEFERRED]):
        with log_context(run_id=run.id, target=run.target, step=run.state.value):
            try:
                kind = await _remind(deps, run, now, after=after, every=every)
            except Exception:  # one run's failure never stops the others
                log.exception("reminder failed")
                continue
        if kind:
            reminded[kind].append(run.id)
    return reminded


async def _remind(
    deps: JobDeps, run: Run, now: datetime, *, after: timedelta, every: timedelta
) -> str | None:
    marks = dict(run.data.get("reminders") or {})
    if run.state is RunState.AWAITING_REVIEW:
        if run.approval_expires_at is not None and run.approval_expires_at <= now:
            return None  # expired: expire_approvals says so instead
        since = _waiting_since(deps, run)
        last = marks.get("review_last")
        if now - since < after or (last and now - datetime.fromisoformat(last) < every):
            return None
        message = review_reminder_message(
            run_id=run.id,
            target=run.target,
            waiting_since=since,
            now=now,
            reviewers=_reviewers(deps),
            expires_at=run.approval_expires_at,
        )
        if not await _post(deps, run, message):
            return None
        marks["review_last"] = now.isoformat()
        marks["review_count"] = int(marks.get("review_count", 0)) + 1
        kind = "review"
    else:
        if run.remind_at is None or run.remind_at > now:
            return None
        if marks.get("deferred_for") == run.remind_at.isoformat():
            return None
        deferrals = [d for d in await deps.store.decisions(run.id) if d.decision == "deferred"]
        message = deferred_reminder_message(
            run_id=run.id,
            target=run.target,
            remind_at=run.remind_at,
            reviewers=_reviewers(deps),
            reason=deferrals[-1].reason if deferrals else None,
        )
        if not await _post(deps, run, message):
            return None
        marks["deferred_for"] = run.remind_at.isoformat()
        kind = "deferred"
    await deps.store.update_run(run.id, data={"reminders": marks})
    await deps.store.audit(
        "align-bot", f"reminder.{kind}", run_id=run.id, target=run.target, detail={"at": str(now)}
    )
    log.info("reminder posted", extra={"kind": kind})
    return kind


async def expire_approvals(deps: JobDeps) -> dict[str, Any]:
    """Post once per run that its approval window closed; returns the run ids noticed."""
    now = deps.clock.now()
    noticed: list[str] = []
    for run in await deps.store.runs_in_states([RunState.AWAITING_REVIEW]):
        expires = run.approval_expires_at
        if expires is None or expires > now:
            continue
        if (run.data.get("expiry_notice") or {}).get("expired_at") == expires.isoformat():
            continue
        with log_context(run_id=run.id, target=run.target, step=run.state.value):
            message = expired_review_message(
                run_id=run.id, target=run.target, expired_at=expires, reviewers=_reviewers(deps)
            )
            if not await _post(deps, run, message):
                continue
            await deps.store.update_run(
                run.id,
                data={"expiry_notice": {"expired_at": expires.isoformat(), "posted_at": str(now)}},
            )
            await deps.store.audit(
                "align-bot",
                "review.expired",
                run_id=run.id,
                target=run.target,
                sql_sha256=run.sql_sha256,
                detail={"expired_at": expires.isoformat()},
            )
            log.info("approval window expired; notice posted")
        noticed.append(run.id)
    return {"expired": noticed}

"""Modal submissions: destructive approval (type the target's name), reject and defer (reason),
manual intervention (note), restore (type the later runs it would wipe, when there are any).

Input problems are answered inside the ack (``response_action: errors`` keeps the modal open
with the message under the field). Everything else happens after the ack: the submitter is
authorized again from the store and settings and the Runner decides; refusals reach the user as
an ephemeral message in the run's channel.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.errors import AlignError, RunRefused
from bot.slack import ids, modals, replies
from bot.slack.blocks import Message
from bot.workflow.restore_rules import override_matches
from handlers.actions import (
    RESTORE_CHECK_TIMEOUT_S,
    decide_and_tell,
    restore_and_tell,
    split_plan_ref,
    tell,
)
from handlers.errors import failure_message
from handlers.refusals import audit_refusal

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.app import Deps

log = logging.getLogger(__name__)

__all__ = ["Submission", "parse_submission", "register_views"]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")

Ack = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Submission:
    run_id: str
    user_id: str
    view: dict[str, Any]
    plan_id: str | None = None  # decision modals: the plan of the card they were opened from


def parse_submission(body: Any) -> Submission | None:
    if not isinstance(body, dict):
        return None
    view, user = body.get("view"), body.get("user")
    if not isinstance(view, dict) or not isinstance(user, dict):
        return None
    run_id, user_id = view.get("private_metadata"), user.get("id")
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        return None
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        return None
    run_id, plan_id = split_plan_ref(run_id)
    return Submission(run_id=run_id, user_id=user_id, view=view, plan_id=plan_id)


def _errors(pair: tuple[str, str], message: str) -> dict[str, Any]:
    return {"response_action": "errors", "errors": {pair[0]: message}}


def _replier(
    deps: Deps, sub: Submission, channel: str | None
) -> Callable[[Message], Awaitable[None]]:
    async def reply(message: Message) -> None:
        await tell(deps, message, user=sub.user_id, channel=channel)

    return reply


async def _channel(deps: Deps, run_id: str) -> str | None:
    run = await deps.store.get_run(run_id)
    return (run.channel if run else None) or deps.settings.channel


def _on_decision(deps: Deps, decision: str) -> Callable[..., Awaitable[None]]:
    async def on_submit(ack: Ack, body: dict[str, Any]) -> None:
        sub = parse_submission(body)
        if sub is None:
            await ack()
            log.warning("malformed view_submission ignored")
            return
        reason = (modals.submitted_value(sub.view, ids.INPUT_REASON) or "").strip()
        remind_at = None
        typed = None
        if decision == "approved":
            typed = (modals.submitted_value(sub.view, ids.INPUT_CONFIRM_TARGET) or "").strip()
            run = await deps.store.get_run(sub.run_id)
            if run is None or typed != run.target:
                expected = run.target if run else "the target's name"
                await ack(**_errors(ids.INPUT_CONFIRM_TARGET, f"Type {expected} exactly."))
                return
        elif not reason:
            await ack(**_errors(ids.INPUT_REASON, "A reason is required."))
            return
        if decision == "deferred":
            choice = modals.submitted_value(sub.view, ids.INPUT_REMIND)
            if choice in modals.REMIND_CHOICES:
                remind_at = deps.clock.now() + timedelta(hours=modals.REMIND_CHOICES[choice][1])
        await ack()
        reply = _replier(deps, sub, await _channel(deps, sub.run_id))
        deps.supervisor.spawn(
            decide_and_tell(
                deps,
                plan_id=sub.plan_id,
                decision=decision,
                user=sub.user_id,
                reply=reply,
                reason=reason or None,
                remind_at=remind_at,
                confirmation=typed,
            ),
            name=f"{decision} {sub.run_id}",
        )

    return on_submit


def _on_manual(deps: Deps) -> Callable[..., Awaitable[None]]:
    async def on_manual_submit(ack: Ack, body: dict[str, Any]) -> None:
        sub = parse_submission(body)
        if sub is None:
            await ack()
            return
        note = (modals.submitted_value(sub.view, ids.INPUT_NOTE) or "").strip()
        if not note:
            await ack(**_errors(ids.INPUT_NOTE, "Describe what was done."))
            return
        await ack()
        deps.supervisor.spawn(_record_manual(deps, sub, note), name=f"manual {sub.run_id}")

    return on_manual_submit


async def _record_manual(deps: Deps, sub: Submission, note: str) -> None:
    assert deps.access is not None and deps.runner is not None
    reply = _replier(deps, sub, await _channel(deps, sub.run_id))
    verdict = await deps.access.recoverer(sub.user_id)
    if not verdict.allowed:
        await _audit_manual_refusal(deps, sub, note, verdict.reason)
        await reply(replies.refusal(verdict.reason))
        return
    try:
        await deps.runner.mark_manual(sub.run_id, user=sub.user_id, note=note)
    except AlignError as exc:
        if isinstance(exc, RunRefused):
            await _audit_manual_refusal(deps, sub, note, exc.user_message())
        await reply(failure_message(exc, what="manual intervention"))
        return
    if deps.messenger is not None:
        deps.messenger.touch(sub.run_id)


def _on_restore(deps: Deps) -> Callable[..., Awaitable[None]]:
    """The restore dialog was confirmed. When later runs applied, the typed words must name
    exactly the runs that would be lost *now* (checked again, so a run that applied while the
    dialog was open is not wiped unnamed); the restore decides everything again itself."""

    async def on_restore_submit(ack: Ack, body: dict[str, Any]) -> None:
        sub = parse_submission(body)
        if sub is None:
            await ack()
            log.warning("malformed view_submission ignored")
            return
        assert deps.runner is not None
        typed = (modals.submitted_value(sub.view, ids.INPUT_RESTORE_OVERRIDE) or "").strip()
        try:
            async with asyncio.timeout(RESTORE_CHECK_TIMEOUT_S):
                check = await deps.runner.restore_check(sub.run_id)
        except TimeoutError:
            check = None  # the restore checks again and refuses a wrong override
        overridable = check is not None and check.refusal is None and bool(check.later)
        if overridable and check is not None and not override_matches(typed, check):
            await ack(
                **_errors(
                    ids.INPUT_RESTORE_OVERRIDE,
                    f"Type {check.override_words} exactly (the later runs whose changes will "
                    "be lost).",
                )
            )
            return
        reply = _replier(deps, sub, await _channel(deps, sub.run_id))
        # Started before the ack ends the request, so the work is registered once Slack (or a
        # test waiting for the bot to go idle) has its answer.
        deps.supervisor.spawn(
            restore_and_tell(
                deps, run_id=sub.run_id, user=sub.user_id, override=typed or None, reply=reply
            ),
            name=f"restore {sub.run_id}",
        )
        await ack()

    return on_restore_submit


async def _audit_manual_refusal(deps: Deps, sub: Submission, note: str, why: str) -> None:
    await audit_refusal(
        deps,
        actor=sub.user_id,
        what="view.manual",
        why=why,
        run_id=sub.run_id,
        detail={"note_chars": len(note)},
    )


async def _unknown_view(ack: Ack) -> None:
    await ack()


def register_views(app: AsyncApp, deps: Deps) -> None:
    app.view(ids.VIEW_APPROVE_DESTRUCTIVE)(_on_decision(deps, "approved"))
    app.view(ids.VIEW_REJECT)(_on_decision(deps, "rejected"))
    app.view(ids.VIEW_DEFER)(_on_decision(deps, "deferred"))
    app.view(ids.VIEW_MANUAL)(_on_manual(deps))
    app.view(ids.VIEW_RESTORE)(_on_restore(deps))
    app.view(re.compile(r".*"))(_unknown_view)

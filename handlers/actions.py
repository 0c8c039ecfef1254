"""Button clicks on the review card and the run message.

Every click is re-authorized from the store and the settings, never from the payload: a review
button's ``value`` is only the plan id of the card it is on (a recovery button's, the run id), and
the review gate decides whether that plan may still be decided on. The ack always comes first or,
for buttons that open a modal (Slack's trigger_id is valid for 3 s), right after a bounded
``views.open``. Slow work (Runner.decide re-diffs production) runs in a supervised task; its
refusals come back as an ephemeral reply and the card is left untouched.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import AlignError, NotifyError, RunRefused
from bot.slack import ids, modals, replies
from bot.slack.blocks import Message, escape
from bot.store.records import run_id_of_plan
from bot.workflow.authority import Actor
from bot.workflow.gate import Outcome
from bot.workflow.run import RunState
from handlers.errors import failure_message
from handlers.refusals import audit_refusal, refusal_reason

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.app import Deps
    from bot.store import Run

log = logging.getLogger(__name__)

__all__ = [
    "Click",
    "decide_and_tell",
    "parse_click",
    "register_actions",
    "restore_and_tell",
    "split_plan_ref",
    "tell",
]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
MODAL_OPEN_TIMEOUT_S = 2.0
RESTORE_CHECK_TIMEOUT_S = 1.2  # + MODAL_OPEN_TIMEOUT_S stays inside Slack's 3 s
AUTH_BEFORE_MODAL_TIMEOUT_S = 0.8

Ack = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Click:
    """A verified click, reduced to what may be used (shapes checked, nothing trusted)."""

    action_id: str
    run_id: str
    user_id: str
    trigger_id: str | None
    response_url: str | None
    channel_id: str | None
    plan_id: str | None = None  # review buttons: the plan of the card that was clicked


def split_plan_ref(value: str) -> tuple[str, str | None]:
    """``20261201-3f9a1c.p2`` → (run id, plan id); a bare run id → (run id, None)."""
    try:
        return run_id_of_plan(value), value
    except ValueError:
        return value, None


def _str(value: Any, *, limit: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def parse_click(body: Any) -> Click | None:
    """The click in a block_actions body, or None when the payload is malformed."""
    if not isinstance(body, dict):
        return None
    actions, user = body.get("actions"), body.get("user")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    action = actions[0]
    action_id = _str(action.get("action_id"), limit=255)
    value = _str(action.get("value"), limit=64)
    user_id = _str(user.get("id"), limit=32) if isinstance(user, dict) else None
    if not action_id or not value or not _RUN_ID.match(value):
        return None
    if not user_id or not _USER_ID.match(user_id):
        return None
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    channel_id = _str(channel.get("id"), limit=32)
    response_url = _str(body.get("response_url"), limit=2000)
    run_id, plan_id = split_plan_ref(value)
    return Click(
        action_id=action_id,
        run_id=run_id,
        plan_id=plan_id,
        user_id=user_id,
        trigger_id=_str(body.get("trigger_id"), limit=255),
        response_url=response_url if response_url and response_url.startswith("http") else None,
        channel_id=channel_id if channel_id and _CHANNEL_ID.match(channel_id) else None,
    )


async def tell(
    deps: Deps,
    message: Message,
    *,
    user: str,
    response_url: str | None = None,
    channel: str | None = None,
) -> None:
    """An ephemeral reply to one user (response_url first, else chat.postEphemeral)."""
    try:
        if response_url:
            await deps.notifier.respond(response_url, message)
        elif channel:
            await deps.notifier.post_ephemeral(channel, user, message)
        else:
            log.warning("no way to answer %s: %s", user, message.text)
    except NotifyError as exc:
        log.warning("ephemeral reply to %s failed: %s", user, exc.message)


async def decide_and_tell(
    deps: Deps,
    *,
    plan_id: str | None,
    decision: str,
    user: str,
    reply: Callable[[Message], Awaitable[None]],
    reason: str | None = None,
    remind_at: Any = None,
    confirmation: str | None = None,
) -> None:
    """Let the review gate decide (it authorizes the reviewer and checks four-eyes, the plan,
    expiry and the plan's facts); every refusal becomes the clicker's ephemeral reply."""
    assert deps.runner is not None
    if plan_id is None:
        await reply(replies.refusal(NO_PLAN))
        return
    try:
        decided = await deps.runner.decide(
            plan_id,
            decision=decision,
            actor=Actor.slack(user),
            reason=reason,
            remind_at=remind_at,
            confirmation=confirmation,
        )
    except AlignError as exc:
        await reply(failure_message(exc, what=f"{decision} click"))
        return
    if decided.outcome is Outcome.APPROVAL_PENDING:
        await reply(
            replies.notice(
                ":hourglass: Your approval is recorded; a second reviewer "
                "must approve this DESTRUCTIVE change too."
            )
        )
    elif decided.outcome is Outcome.ALREADY_DECIDED:
        await reply(replies.notice("Another reviewer's decision came first; nothing to do."))


NO_PLAN = (
    "this card names no plan (it predates plan-bound reviews, or was altered); nothing was "
    "done — decide on the newest card"
)


def _click_refusal(run: Run | None, click: Click, deps: Deps, *, approving: bool) -> str | None:
    """Cheap checks before a modal opens (the authoritative ones run again on submit)."""
    if run is None:
        return f"no run {click.run_id}"
    if click.plan_id is None:
        return NO_PLAN
    if run.state is not RunState.AWAITING_REVIEW:
        return f"run {run.id} is {run.state.value}, not awaiting review"
    if click.plan_id != run.plan_id:
        return (
            f"this card shows plan {click.plan_id}, which was replaced by plan {run.plan_id}; "
            "nothing was done — review the new card"
        )
    if approving and deps.settings.policy.four_eyes and click.user_id == run.requested_by:
        return "four-eyes rule: the requester cannot approve their own run"
    return None


async def _reviewer_refusal(deps: Deps, user: str) -> str | None:
    """Reviewer check bounded so the modal can still open in time (groups are cached; an
    unresolved group is checked again, unbounded, when the modal is submitted)."""
    assert deps.access is not None
    try:
        async with asyncio.timeout(AUTH_BEFORE_MODAL_TIMEOUT_S):
            verdict = await deps.access.reviewer(user)
    except TimeoutError:
        return None
    return None if verdict.allowed else verdict.reason


def _spawn(deps: Deps, coro: Awaitable[None], what: str) -> None:
    deps.supervisor.spawn(coro, name=what)  # type: ignore[arg-type]


def _replier(deps: Deps, click: Click) -> Callable[[Message], Awaitable[None]]:
    async def reply(message: Message) -> None:
        await tell(
            deps,
            message,
            user=click.user_id,
            response_url=click.response_url,
            channel=click.channel_id,
        )

    return reply


async def _open_modal(deps: Deps, ack: Ack, click: Click, view: dict[str, Any]) -> None:
    """Open ``view`` with the click's trigger_id inside the ack window, then ack."""
    problem = None
    if click.trigger_id is None:
        problem = "the click carried no trigger_id"
    else:
        try:
            async with asyncio.timeout(MODAL_OPEN_TIMEOUT_S):
                await deps.notifier.open_view(click.trigger_id, view)
        except (NotifyError, TimeoutError) as exc:
            problem = f"the dialog could not be opened ({type(exc).__name__}); click again"
    await ack()
    if problem:
        _spawn(deps, _replier(deps, click)(replies.refusal(problem)), "modal refusal")


def _modal_click(
    deps: Deps,
    build: Callable[..., dict[str, Any]],
    *,
    approving: bool = False,
    recovery: bool = False,
) -> Callable[..., Awaitable[None]]:
    async def on_modal_click(ack: Ack, body: dict[str, Any]) -> None:
        click = parse_click(body)
        if click is None:
            await _malformed(deps, ack, body)
            return
        run = await deps.store.get_run(click.run_id)
        if recovery:
            assert deps.access is not None
            verdict = await deps.access.recoverer(click.user_id)
            why = None if verdict.allowed else verdict.reason
            why = why or (None if run is not None else f"no run {click.run_id}")
        else:
            why = _click_refusal(run, click, deps, approving=approving)
            why = why or await _reviewer_refusal(deps, click.user_id)
        if why is not None or run is None:
            await ack()
            await deps.store.audit(
                click.user_id,
                f"click.{click.action_id}.refused",
                run_id=click.run_id,
                detail={"why": why},
            )
            _spawn(deps, _replier(deps, click)(replies.refusal(str(why))), "click refusal")
            return
        # A decision modal is bound to the clicked card's plan, never to whatever is current.
        view = build(run) if recovery else build(run, click.plan_id)
        await _open_modal(deps, ack, click, view)

    return on_modal_click


async def _malformed(deps: Deps, ack: Ack, body: Any) -> None:
    await ack()
    log.warning("malformed block_actions payload ignored")
    url = body.get("response_url") if isinstance(body, dict) else None
    user = (
        body.get("user", {}).get("id")
        if isinstance(body, dict) and isinstance(body.get("user"), dict)
        else None
    )
    if isinstance(url, str) and url.startswith("http") and isinstance(user, str):
        message = replies.refusal("this click could not be read (malformed payload)")
        _spawn(deps, tell(deps, message, user=user, response_url=url), "malformed reply")


def on_approve_click(deps: Deps) -> Callable[..., Awaitable[None]]:
    modal_click = _modal_click(deps, modals.approve_destructive_modal, approving=True)

    async def on_approve(ack: Ack, body: dict[str, Any]) -> None:
        click = parse_click(body)
        if click is None:
            await _malformed(deps, ack, body)
            return
        plan = await deps.store.get_plan(click.plan_id) if click.plan_id else None
        if plan is not None and plan.verdict == "DESTRUCTIVE":
            await modal_click(ack, body)  # type the target's name first
            return
        await ack()
        _spawn(
            deps,
            decide_and_tell(
                deps,
                plan_id=click.plan_id,
                decision="approved",
                user=click.user_id,
                reply=_replier(deps, click),
            ),
            f"approve {click.run_id}",
        )

    return on_approve


def _after_ack(
    deps: Deps, work: Callable[[Deps, Click], Awaitable[Message | None]]
) -> Callable[..., Awaitable[None]]:
    async def on_click(ack: Ack, body: dict[str, Any]) -> None:
        click = parse_click(body)
        if click is None:
            await _malformed(deps, ack, body)
            return
        await ack()

        async def run_and_reply() -> None:
            why = None
            try:
                message = await work(deps, click)
                why = refusal_reason(message)
            except AlignError as exc:
                message = failure_message(exc, what=click.action_id)
                why = exc.user_message() if isinstance(exc, RunRefused) else None
            if why is not None:  # Restore / Re-run refused: audited (who, what, why)
                await audit_refusal(
                    deps,
                    actor=click.user_id,
                    what=f"click.{click.action_id}",
                    why=why,
                    run_id=click.run_id,
                )
            if message is not None:
                await _replier(deps, click)(message)

        _spawn(deps, run_and_reply(), f"{click.action_id} {click.run_id}")

    return on_click


def on_restore_click(deps: Deps) -> Callable[..., Awaitable[None]]:
    """Restore opens a confirm dialog listing what the restore would throw away (and, when later
    runs applied, the words to type); outright refusals (an active run on the database, a run
    that did not fail, a snapshot already restored or deleted) are answered without a dialog.
    The restore itself runs when the dialog is submitted (handlers/views.py)."""

    async def on_restore(ack: Ack, body: dict[str, Any]) -> None:
        click = parse_click(body)
        if click is None:
            await _malformed(deps, ack, body)
            return
        assert deps.access is not None and deps.runner is not None
        verdict = await deps.access.recoverer(click.user_id)
        why = None if verdict.allowed else verdict.reason
        check = None
        if why is None:
            try:
                async with asyncio.timeout(RESTORE_CHECK_TIMEOUT_S):
                    check = await deps.runner.restore_check(click.run_id)
            except TimeoutError:
                why = "the restore could not be checked in time; click again"
            else:
                why = check.refusal
        if why is not None or check is None:
            await audit_refusal(  # recorded before the ack answers the click
                deps,
                actor=click.user_id,
                what=f"click.{click.action_id}",
                why=str(why),
                run_id=click.run_id,
            )
            _spawn(deps, _replier(deps, click)(replies.refusal(str(why))), "restore refusal")
            await ack()
            return
        await _open_modal(deps, ack, click, modals.restore_modal(check))

    return on_restore


async def restore_and_tell(
    deps: Deps,
    *,
    run_id: str,
    user: str,
    override: str | None,
    reply: Callable[[Message], Awaitable[None]],
) -> None:
    """Re-authorize and restore (the workflow checks everything again under the apply lock);
    a refusal or failure becomes the user's ephemeral reply, a restore a notice in the thread."""
    assert deps.access is not None and deps.runner is not None
    verdict = await deps.access.recoverer(user)
    if not verdict.allowed:
        await audit_refusal(
            deps, actor=user, what="recovery.restore", why=verdict.reason, run_id=run_id
        )
        await reply(replies.refusal(verdict.reason))
        return
    try:
        run = await deps.runner.restore_snapshot(run_id, user=user, override=override)
    except AlignError as exc:
        await reply(failure_message(exc, what="restore"))
        return
    if deps.messenger is not None:
        deps.messenger.touch(run.id)
        overriding = " over later runs (override recorded)" if override else ""
        deps.messenger.post_in_thread(
            run.id,
            replies.notice(
                f":rewind: <@{user}> restored production (`{escape(run.target)}`) "
                f"from the snapshot{overriding}."
            ),
        )


async def _rerun(deps: Deps, click: Click) -> Message | None:
    assert deps.access is not None and deps.runner is not None
    verdict = await deps.access.requester(click.user_id)
    if not verdict.allowed:
        return replies.refusal(verdict.reason)
    new = await deps.runner.rerun(click.run_id, user=click.user_id, via="slack")
    if deps.messenger is not None:
        deps.messenger.touch(click.run_id)
    return replies.notice(f":repeat: Re-running as run `{escape(new.id)}`.")


async def _unknown_action(ack: Ack, body: dict[str, Any]) -> None:
    await ack()
    log.info("click on an unknown action ignored")


def register_actions(app: AsyncApp, deps: Deps) -> None:
    app.action(ids.ACTION_APPROVE)(on_approve_click(deps))
    app.action(ids.ACTION_REJECT)(_modal_click(deps, modals.reject_modal))
    app.action(ids.ACTION_DEFER)(_modal_click(deps, modals.defer_modal))
    app.action(ids.ACTION_MANUAL)(_modal_click(deps, modals.manual_modal, recovery=True))
    app.action(ids.ACTION_RESTORE)(on_restore_click(deps))
    app.action(ids.ACTION_RERUN)(_after_ack(deps, _rerun))
    app.action(re.compile(r".*"))(_unknown_action)  # stale or foreign buttons: ack, ignore

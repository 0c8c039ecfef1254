"""The drift alert's "Start alignment" button (posted by the drift watch, bot/jobs/drift_watch.py).

The button's value is the target name. The click is acked at once; a supervised task then
authorizes the clicker exactly as ``/align start`` does (``access.requesters``; empty means
anyone), records the click in the audit log and starts a run through the workflow runner. The
clicker gets an ephemeral answer on the action's response_url. Failures go through
``handlers/errors.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import RunRefused
from bot.slack import ids
from bot.slack.access import Access
from bot.slack.blocks import Message, escape
from handlers.errors import replying_on_failure

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.app import Deps

log = logging.getLogger(__name__)

__all__ = ["DriftClick", "register_drift"]

NOT_AVAILABLE = "The alignment workflow is not available in this bot; use `align run {target}`."


@dataclass(frozen=True)
class DriftClick:
    """The facts of a click, taken from the verified payload (the target is re-checked)."""

    user: str
    channel: str | None
    target: str
    response_url: str | None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> DriftClick:
        action = (body.get("actions") or [{}])[0]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        return cls(
            user=str((body.get("user") or {}).get("id", "")),
            channel=channel or None,
            target=str(action.get("value") or ""),
            response_url=body.get("response_url") or None,
        )


async def start_from_drift(click: DriftClick, deps: Deps, access: Access) -> Message:
    """Authorize, audit and start the run; the reply for the clicker."""
    target = deps.settings.target(click.target)  # RunRefused names the configured targets
    verdict = await access.requester(click.user)
    await deps.store.audit(
        click.user,
        "click.drift.start",
        target=target.name,
        detail={"allowed": verdict.allowed, "channel": click.channel},
    )
    if not verdict.allowed:
        raise RunRefused(f"You cannot start an alignment: {verdict.reason}.")
    runner = deps.runner
    if runner is None:
        text = NOT_AVAILABLE.format(target=target.name)
        return Message(text=text, blocks=[_section(f":warning: {escape(text)}")])
    run = await runner.start(
        target=target.name, requested_by=click.user, via="slack", channel=click.channel
    )
    text = (
        f":arrow_forward: Alignment run `{escape(run.id)}` started for `{escape(target.name)}`. "
        "It snapshots production, diffs, and posts a review card before anything changes."
    )
    return Message(
        text=f"Alignment run {run.id} started for {target.name}", blocks=[_section(text)]
    )


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def on_drift_start_click(deps: Deps) -> Callable[..., Awaitable[None]]:
    access = deps.access or Access(deps.settings, deps.notifier)

    async def on_drift_start(ack: Callable[..., Awaitable[None]], body: dict[str, Any]) -> None:
        await ack()
        click = DriftClick.from_body(body)
        deps.supervisor.spawn(_answer(click, deps, access), name="drift start alignment")

    return on_drift_start


async def _answer(click: DriftClick, deps: Deps, access: Access) -> None:
    reply = await replying_on_failure(
        start_from_drift(click, deps, access), what="drift: start alignment"
    )
    if click.response_url is None:
        log.warning("drift start: no response_url to answer on")
        return
    await deps.notifier.respond(click.response_url, reply)


def register_drift(app: AsyncApp, deps: Deps) -> None:
    app.action(ids.ACTION_DRIFT_START)(on_drift_start_click(deps))

"""Global bolt middleware and request classification.

Slack re-sends a request it thinks timed out (``X-Slack-Retry-Num``). The first delivery is
already being handled (we ack fast and work in supervised tasks), so a retry is acknowledged and
dropped: no command, click or submission ever starts work twice. In Socket Mode bolt maps the
envelope's ``retry_attempt`` to the same header (``0`` on a first delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

if TYPE_CHECKING:
    from bot.app import Deps

log = logging.getLogger(__name__)

__all__ = ["KINDS", "drop_retries", "request_kind"]

KINDS = (
    "command",
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
    "event",
    "url_verification",
    "other",
)


def request_kind(body: Any) -> str:
    """A small fixed label for a request body (safe as a metric label)."""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    return kind if kind in KINDS else "other"


def drop_retries(
    deps: Deps,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Middleware factory: ack-and-drop any delivery carrying ``x-slack-retry-num``."""

    async def ack_and_drop_retries(
        req: AsyncBoltRequest, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        # Socket Mode envelopes carry retry_attempt 0 on the first delivery: not a retry.
        if retry in ("", "0"):
            await next()
            return None
        kind = request_kind(body)
        deps.metrics.retries_dropped.inc(kind=kind)
        reason = (req.headers.get("x-slack-retry-reason") or ["unknown"])[0]
        log.info("slack retry dropped", extra={"kind": kind, "retry": retry, "reason": reason})
        return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})

    return ack_and_drop_retries


def _well_formed(body: Any) -> bool:
    """Enough shape for bolt's matchers not to crash (they index without checking)."""
    kind = body.get("type") if isinstance(body, dict) else None
    if kind == "block_actions":
        actions = body.get("actions")
        return (
            isinstance(actions, list)
            and bool(actions)
            and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        )
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        return isinstance(view, dict) and isinstance(view.get("callback_id"), str)
    return True


def drop_malformed(
    deps: Deps,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Middleware factory: a verified but malformed interactivity payload is acked and dropped
    (nothing can be done with it; a 500 would only make Slack show an error)."""

    async def ack_and_drop_malformed(
        req: AsyncBoltRequest, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        if _well_formed(body):
            await next()
            return None
        log.warning("malformed %s payload dropped", request_kind(body))
        return BoltResponse(status=200, body="")

    return ack_and_drop_malformed

"""Global bolt middleware and request classification.

Bolt runs these after its own: the signature is verified (HTTP mode) and the bot token's
``auth.test`` answer is on the context before any of them sees a request. In order
(``handlers.register``):

1. ``drop_retries`` — Slack re-sends a request it thinks timed out (``X-Slack-Retry-Num``). The
   first delivery is already being handled (we ack fast and work in supervised tasks), so a
   retry is acknowledged and dropped. In Socket Mode bolt maps the envelope's
   ``retry_attempt`` to the same header (``0`` on a first delivery).
2. ``refuse_foreign`` — a request from any workspace or organisation other than the installed
   one (``auth.test``, or the ``[slack] team_id`` pin) is refused with a short reply and an
   audit row; nothing is started (rules in :mod:`bot.slack.workspace`).
3. ``drop_replays`` — a signed request is valid for five minutes, so its exact bytes can be sent
   again. Each request's digest (sha256 of ``v0:<X-Slack-Request-Timestamp>:<raw body>``) is
   INSERTed once into the state store; a replay finds it there and is acked and dropped with an
   audit row. Socket Mode has no signature: the key is the envelope id, which
   ``bot.app``'s Socket Mode handler passes in the ``x-align-envelope-id`` header (never read in
   HTTP mode, where anyone could send it). When the store cannot answer, the request is refused
   (fail closed): a replay must never get through because the store blinked.
4. ``drop_malformed`` — verified but malformed payloads are acked and dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.errors import NotifyError, StoreError
from bot.slack import replies
from bot.slack.blocks import Message, error_message
from bot.slack.workspace import foreign_reason, installed_workspace, origin_of
from bot.tasks import SupervisorClosed

if TYPE_CHECKING:
    from bot.app import Deps

log = logging.getLogger(__name__)

__all__ = [
    "ENVELOPE_HEADER",
    "KINDS",
    "drop_malformed",
    "drop_replays",
    "drop_retries",
    "refuse_foreign",
    "replay_key",
    "request_kind",
]

# Set by bot.app's Socket Mode handler only; ignored on HTTP requests.
ENVELOPE_HEADER = "x-align-envelope-id"
# Slack refuses signatures older than five minutes; keep digests twice as long.
SEEN_TTL = timedelta(minutes=10)
PRUNE_EVERY = timedelta(minutes=1)
_NO_AUTH = ("url_verification", "ssl_check")  # answered by bolt before any workspace is known

# What a refused user reads.
FOREIGN_REFUSAL = "this bot only serves the Slack workspace it is installed in"
STORE_REFUSAL = (
    "Not done: the bot could not record this request (its state database is not answering). "
    "Try again in a minute."
)

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


def _refuse(deps: Deps, body: dict[str, Any], message: Message) -> BoltResponse:
    """Ack a refused request with an empty 200 and tell the user on the request's
    ``response_url`` (commands and clicks carry one; Slack ignores an ack body on clicks)."""
    url = body.get("response_url") if isinstance(body, dict) else None
    if isinstance(url, str) and url.startswith("http"):
        with contextlib.suppress(SupervisorClosed):
            deps.supervisor.spawn(_tell(deps, url, message), name="refusal reply")
    return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})


async def _tell(deps: Deps, url: str, message: Message) -> None:
    try:
        await deps.notifier.respond(url, message)
    except NotifyError as exc:
        log.warning("refusal reply failed: %s", exc.message)


async def _audit(deps: Deps, actor: str, action: str, detail: dict[str, Any]) -> None:
    """Audit a refusal; a store failure is logged, never turned into a 500 for Slack."""
    try:
        await deps.store.audit(actor, action, detail=detail)
    except StoreError as exc:
        log.warning("audit of %s failed: %s", action, exc.message)


def refuse_foreign(deps: Deps) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Middleware factory: refuse requests from any workspace but the installed one."""

    async def refuse_foreign_workspaces(
        req: AsyncBoltRequest,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        if isinstance(body, dict) and body.get("type") in _NO_AUTH:
            await next()
            return None
        token = context.authorize_result
        workspace = installed_workspace(
            token_team_id=token.team_id if token else None,
            token_enterprise_id=token.enterprise_id if token else None,
            pinned_team_id=deps.settings.slack.team_id,
        )
        origin = origin_of(body)
        why = foreign_reason(origin, workspace)
        if why is None:
            await next()
            return None
        kind = request_kind(body)
        log.warning("request from another workspace refused: %s", why, extra={"kind": kind})
        detail = {
            "why": why,
            "kind": kind,
            "teams": sorted(origin.team_ids),
            "enterprises": sorted(origin.enterprise_ids),
        }
        await _audit(deps, context.user_id or "unknown", "slack.foreign_refused", detail)
        return _refuse(deps, body, replies.refusal(FOREIGN_REFUSAL))

    return refuse_foreign_workspaces


def replay_key(req: AsyncBoltRequest) -> bytes | None:
    """The digest that identifies one delivery: over the signed bytes in HTTP mode, over the
    envelope id in Socket Mode; None when there is nothing to key on."""
    if req.mode == "socket_mode":
        envelope = (req.headers.get(ENVELOPE_HEADER) or [""])[0]
        return hashlib.sha256(f"socket:{envelope}".encode()).digest() if envelope else None
    timestamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
    if not timestamp:
        return None
    return hashlib.sha256(f"v0:{timestamp}:{req.raw_body}".encode()).digest()


def drop_replays(deps: Deps) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Middleware factory: ack-and-drop a request whose exact bytes were already accepted."""
    last_prune: list[datetime] = []

    def prune_if_due(now: datetime) -> None:
        if last_prune and now - last_prune[0] < PRUNE_EVERY:
            return
        last_prune[:] = [now]
        with contextlib.suppress(SupervisorClosed):  # shutting down: the next process prunes
            deps.supervisor.spawn(_prune(deps, older_than=now - SEEN_TTL), name="prune seen")

    async def ack_and_drop_replays(
        req: AsyncBoltRequest,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        key = replay_key(req)
        if key is None or (isinstance(body, dict) and body.get("type") in _NO_AUTH):
            await next()
            return None
        kind = request_kind(body)
        now = deps.clock.now()
        try:
            first = await deps.store.first_sighting(key, kind=kind, at=now)
        except StoreError as exc:
            log.warning("request refused: replay check unavailable (%s)", exc.message)
            return _refuse(deps, body, error_message(STORE_REFUSAL))
        prune_if_due(now)
        if first:
            await next()
            return None
        log.warning("replayed slack request dropped", extra={"kind": kind})
        detail = {"kind": kind, "digest": key.hex()}
        await _audit(deps, context.user_id or "unknown", "slack.replay_dropped", detail)
        return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})

    return ack_and_drop_replays


async def _prune(deps: Deps, *, older_than: datetime) -> None:
    try:
        forgotten = await deps.store.prune_seen_requests(older_than=older_than)
    except StoreError as exc:
        log.warning("pruning seen requests failed: %s", exc.message)
        return
    if forgotten:
        log.debug("forgot %d seen request(s)", forgotten)

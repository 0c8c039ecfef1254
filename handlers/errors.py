"""The single catch-all: every failure a Slack user can see is turned into a reply here.

An :class:`AlignError` carries a message written for the user (no secrets), which becomes an
ephemeral reply. Anything else is a bug: it is logged with its traceback under a short reference
and the user gets that reference instead of the exception text (which could hold anything).
``asyncio.CancelledError`` is never caught (it is not an ``Exception``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from bot.errors import AlignError, ConfigError
from bot.slack.blocks import Message, error_message

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)

__all__ = ["failure_message", "install_error_handler", "replying_on_failure"]

# User-facing wording for errors, in one place.
UNEXPECTED = "Something went wrong on the bot's side (reference {ref}). It has been logged."


def failure_message(exc: Exception, *, what: str) -> Message:
    """The reply for ``exc`` raised while doing ``what`` (logged here, once)."""
    if isinstance(exc, ConfigError):
        log.error("%s failed: configuration problem", what, exc_info=exc)
        return error_message(exc.user_message())
    if isinstance(exc, AlignError):
        log.warning("%s refused or failed: %s", what, exc.user_message())
        return error_message(exc.user_message())
    ref = secrets.token_hex(4)
    log.error("%s failed unexpectedly", what, extra={"ref": ref}, exc_info=exc)
    return error_message(UNEXPECTED.format(ref=ref))


async def replying_on_failure(work: Awaitable[Message], *, what: str) -> Message:
    """Await ``work``; if it raises, return the failure reply instead."""
    try:
        return await work
    except Exception as exc:  # the single catch-all (CancelledError passes through)
        return failure_message(exc, what=what)


def install_error_handler(app: AsyncApp) -> None:
    """Bolt's global hook: errors that escape a listener or middleware are logged, never shown
    raw (bolt then answers Slack with a 500)."""

    async def on_unhandled_error(error: Exception, body: dict[str, Any]) -> None:
        kind = body.get("command") or body.get("type") or "request"
        failure_message(error, what=f"slack {kind}")

    app.error(on_unhandled_error)

"""The only module that calls the Slack Web API (and posts to response_urls).

Each method is one Slack effect named for it (``post_message``, ``respond``, ``upload_file``).
Failures are translated here and nowhere else: ``SlackApiError`` (``ok: false``), request
errors, timeouts and connection failures all become :class:`NotifyError` carrying the Slack
method and error code, and are counted in ``align_slack_api_errors_total``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.errors import NotifyError
from bot.metrics import Metrics
from bot.slack.blocks import Message

log = logging.getLogger(__name__)

__all__ = ["Notifier"]

_T = TypeVar("_T")


class Notifier:
    """Slack effects through one AsyncWebClient (whose base_url and retries come from settings)."""

    def __init__(self, client: AsyncWebClient, *, metrics: Metrics) -> None:
        self.client = client
        self._metrics = metrics

    async def _call(self, method: str, call: Callable[[], Awaitable[_T]]) -> _T:
        try:
            return await call()
        except SlackApiError as exc:
            data = exc.response.data  # a dict, or text when Slack answered e.g. a bare 500
            error = str(
                (data.get("error") if isinstance(data, dict) else None)
                or f"http_{exc.response.status_code}"
            )
            self._metrics.api_errors.inc(method=method, error=error)
            log.warning("slack call failed", extra={"method": method, "error": error})
            raise NotifyError(
                f"Slack refused {method}: {error}", method=method, error=error
            ) from exc
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._metrics.api_errors.inc(method=method, error="unreachable")
            log.warning("slack unreachable", extra={"method": method, "error": type(exc).__name__})
            raise NotifyError(
                f"Slack could not be reached for {method} ({type(exc).__name__})",
                method=method,
                error="unreachable",
            ) from exc

    async def auth_test(self) -> dict[str, Any]:
        """Who the bot token belongs to (user_id, bot_id, team_id); refused tokens raise."""
        resp = await self._call("auth.test", self.client.auth_test)
        return dict(resp.data)  # type: ignore[arg-type]

    async def post_message(
        self, channel: str, message: Message, *, thread_ts: str | None = None
    ) -> str:
        """Post to a channel; returns the message ``ts`` (needed to update it later)."""
        resp = await self._call(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks or None,
                thread_ts=thread_ts,
            ),
        )
        return str(resp["ts"])

    async def update_message(self, channel: str, ts: str, message: Message) -> None:
        await self._call(
            "chat.update",
            lambda: self.client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=message.blocks or []
            ),
        )

    async def permalink(self, channel: str, ts: str) -> str:
        """The link a person clicks to reach message ``ts`` (``chat.getPermalink``)."""
        resp = await self._call(
            "chat.getPermalink",
            lambda: self.client.chat_getPermalink(channel=channel, message_ts=ts),
        )
        return str(resp["permalink"])

    async def post_ephemeral(self, channel: str, user: str, message: Message) -> None:
        await self._call(
            "chat.postEphemeral",
            lambda: self.client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=message.blocks or None
            ),
        )

    async def respond(
        self,
        response_url: str,
        message: Message,
        *,
        response_type: str = "ephemeral",
        replace_original: bool = False,
    ) -> None:
        """Answer a slash command or an action through its response_url (no token needed)."""
        webhook = AsyncWebhookClient(response_url, timeout=10)
        resp = await self._call(
            "response_url",
            lambda: webhook.send(
                text=message.text,
                blocks=message.blocks or None,
                response_type=response_type,
                replace_original=replace_original,
            ),
        )
        if resp.status_code != 200:
            error = (resp.body or "").strip()[:100] or f"http_{resp.status_code}"
            self._metrics.api_errors.inc(method="response_url", error=error)
            log.warning("response_url refused", extra={"status": resp.status_code, "error": error})
            raise NotifyError(
                f"Slack refused the reply ({resp.status_code}: {error})",
                method="response_url",
                error=error,
            )

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        resp = await self._call(
            "views.open", lambda: self.client.views_open(trigger_id=trigger_id, view=view)
        )
        return str(resp["view"]["id"])

    async def update_view(self, view_id: str, view: dict[str, Any]) -> None:
        await self._call(
            "views.update", lambda: self.client.views_update(view_id=view_id, view=view)
        )

    async def push_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        resp = await self._call(
            "views.push", lambda: self.client.views_push(trigger_id=trigger_id, view=view)
        )
        return str(resp["view"]["id"])

    async def user_info(self, user: str) -> dict[str, Any]:
        resp = await self._call("users.info", lambda: self.client.users_info(user=user))
        return dict(resp["user"])

    async def usergroup_members(self, usergroup: str) -> list[str]:
        resp = await self._call(
            "usergroups.users.list",
            lambda: self.client.usergroups_users_list(usergroup=usergroup),
        )
        return list(resp["users"])

    async def channel_members(self, channel: str) -> list[str]:
        """Every member id of a channel (follows pagination cursors)."""
        members: list[str] = []
        cursor: str | None = None
        while True:
            resp = await self._call("conversations.members", self._members_page(channel, cursor))
            members.extend(resp["members"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return members

    def _members_page(self, channel: str, cursor: str | None) -> Callable[[], Awaitable[Any]]:
        return lambda: self.client.conversations_members(channel=channel, limit=200, cursor=cursor)

    async def upload_file(
        self,
        channel: str,
        *,
        filename: str,
        content: bytes | str,
        title: str | None = None,
        initial_comment: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Upload through the v2 flow (getUploadURLExternal → upload → complete); returns the
        file id."""
        resp = await self._call(
            "files.upload_v2",
            lambda: self.client.files_upload_v2(
                channel=channel,
                filename=filename,
                content=content,
                title=title or filename,
                initial_comment=initial_comment,
                thread_ts=thread_ts,
            ),
        )
        return str(resp["file"]["id"])

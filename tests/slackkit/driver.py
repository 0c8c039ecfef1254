"""Sends requests to the bot's real HTTP endpoint signed exactly as Slack signs them.

Signature: ``v0=`` + hex HMAC-SHA256 of ``"v0:{timestamp}:{raw body}"`` keyed with the signing
secret, in ``X-Slack-Signature`` with ``X-Slack-Request-Timestamp``. Computed here with hmac
directly (not with slack_sdk's verifier, which is what is under test). Slash commands are
form-encoded with a ``response_url`` on the emulator; interactivity is ``payload=<json>``.
Options make a delivery look like a Slack retry, carry a bad signature or a stale timestamp;
``replay`` re-sends a delivery's exact bytes, timestamp and signature (what an attacker who
captured it could do while the signature is still valid).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from .emulator import SlackEmulator

__all__ = ["DriverResponse", "SlackDriver", "sign"]


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class DriverResponse:
    status: int
    text: str
    headers: dict[str, str]
    response_url: str | None = None
    sent: dict[str, Any] = field(default_factory=dict)
    body: str = ""  # the exact signed body
    request_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


class SlackDriver:
    """Plays Slack towards the bot at ``events_url`` (``http://host:port/slack/events``)."""

    def __init__(
        self,
        events_url: str,
        *,
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str = "T0ACME001",
        api_app_id: str = "A0ALIGNBOT",
    ) -> None:
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.emulator = emulator
        self.team_id = team_id
        self.api_app_id = api_app_id
        self._ids = itertools.count(1)

    def _trigger_id(self) -> str:
        return f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(4)}"

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> DriverResponse:
        """POST ``body`` signed with the secret (or with ``signature`` as given)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(self.signing_secret, ts, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return await self._send(body, headers)

    async def replay(self, delivery: DriverResponse) -> DriverResponse:
        """Send ``delivery``'s bytes again with its timestamp and signature (no retry header)."""
        resp = await self._send(delivery.body, delivery.request_headers)
        resp.sent, resp.response_url = delivery.sent, delivery.response_url
        return resp

    async def _send(self, body: str, headers: dict[str, str]) -> DriverResponse:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.events_url, data=body.encode(), headers=headers) as resp,
        ):
            return DriverResponse(
                resp.status,
                await resp.text(),
                dict(resp.headers),
                body=body,
                request_headers=dict(headers),
            )

    async def command(
        self,
        text: str = "",
        *,
        command: str = "/align",
        user: str = "U0ALICE01",
        channel: str = "C0OPS0001",
        **options: Any,
    ) -> DriverResponse:
        """A slash command, as Slack sends it; ``response.response_url`` is where answers go."""
        response_url = self.emulator.new_response_url("commands")
        fields = {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "ops",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._trigger_id(),
        }
        resp = await self.post(urlencode(fields), **options)
        resp.response_url = response_url
        resp.sent = fields
        return resp

    async def interactive(self, payload: dict[str, Any], **options: Any) -> DriverResponse:
        resp = await self.post(urlencode({"payload": json.dumps(payload)}), **options)
        resp.sent = payload
        resp.response_url = payload.get("response_url")
        return resp

    def _user(self, user: str) -> dict[str, Any]:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.team_id}

    async def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "block",
        user: str = "U0BOB0002",
        channel: str = "C0OPS0001",
        message_ts: str = "1732400000.000200",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        **options: Any,
    ) -> DriverResponse:
        """A button click on a message (or, with ``view``, inside a modal)."""
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "text": {"type": "plain_text", "text": action_id},
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        payload: dict[str, Any] = {
            "type": "block_actions",
            "api_app_id": self.api_app_id,
            "token": "verification-token-unused",
            "trigger_id": self._trigger_id(),
            "user": self._user(user),
            "team": {"id": self.team_id, "domain": "acme"},
            "state": {"values": {}},
            "actions": [action],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
            payload["view"] = view
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel, "name": "ops"}
            payload["message"] = message or {
                "type": "message",
                "ts": message_ts,
                "text": "",
                "blocks": [],
            }
            payload["response_url"] = self.emulator.new_response_url("actions")
        return await self.interactive(payload, **options)

    async def view_submission(
        self,
        callback_id: str,
        *,
        values: dict[str, dict[str, dict[str, Any]]] | None = None,
        private_metadata: str = "",
        user: str = "U0ALICE01",
        view_id: str = "V0MODAL01",
        **options: Any,
    ) -> DriverResponse:
        """A modal submission; ``values`` is ``state.values`` (block_id → action_id → value)."""
        view = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "hash": f"{time.time():.6f}.abc",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.api_app_id,
            "title": {"type": "plain_text", "text": "align"},
            "blocks": [],
            "state": {"values": values or {}},
        }
        payload = {
            "type": "view_submission",
            "api_app_id": self.api_app_id,
            "token": "verification-token-unused",
            "trigger_id": self._trigger_id(),
            "user": self._user(user),
            "team": {"id": self.team_id, "domain": "acme"},
            "view": view,
            "response_urls": [],
        }
        return await self.interactive(payload, **options)

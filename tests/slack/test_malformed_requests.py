"""Malformed requests of any shape, correctly signed, through the real HTTP endpoint: each gets
a 2xx or 4xx and a log line, never a 500 (issue 12: bolt's own middleware used to fail before
the bot's guard, answering 500 with a traceback)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from bot.store import Store
from tests.slackkit.driver import SlackDriver
from tests.slackkit.fixtures import BotServer

MALFORMED: list[tuple[str, str, str]] = [
    # (what, body, content type)
    ("payload is a list", urlencode({"payload": "[1, 2]"}), "application/x-www-form-urlencoded"),
    ("payload is a number", urlencode({"payload": "42"}), "application/x-www-form-urlencoded"),
    ("payload is a string", urlencode({"payload": '"x"'}), "application/x-www-form-urlencoded"),
    ("payload is null", urlencode({"payload": "null"}), "application/x-www-form-urlencoded"),
    ("payload is empty object", urlencode({"payload": "{}"}), "application/x-www-form-urlencoded"),
    ("payload is not JSON", urlencode({"payload": "{nope"}), "application/x-www-form-urlencoded"),
    (
        "payload type is a list",
        urlencode({"payload": json.dumps({"type": ["block_actions"]})}),
        "application/x-www-form-urlencoded",
    ),
    (
        "block_actions without user or actions",
        urlencode({"payload": json.dumps({"type": "block_actions"})}),
        "application/x-www-form-urlencoded",
    ),
    (
        "view_submission whose view is a string",
        urlencode({"payload": json.dumps({"type": "view_submission", "view": "v"})}),
        "application/x-www-form-urlencoded",
    ),
    (
        "event that is not an object",
        json.dumps({"type": "event_callback", "team_id": "T0ACME001", "event": [1, 2]}),
        "application/json",
    ),
    (
        "event that is a string",
        json.dumps({"type": "event_callback", "team_id": "T0ACME001", "event": "app_mention"}),
        "application/json",
    ),
    ("JSON body that is a list", json.dumps([1, 2]), "application/json"),
    ("JSON body that is a number", "42", "application/json"),
    ("JSON body that is not JSON", "{nope", "application/json"),
    ("body not form-encoded", "\x00\x01binary\xff", "application/octet-stream"),
    ("form body that is a bare word", "hello", "application/x-www-form-urlencoded"),
    (
        "command with a list text",
        urlencode({"command": "/align", "text": "status", "user_id": "U0ALICE01"}) + "&text=x",
        "application/x-www-form-urlencoded",
    ),
    ("command without user", urlencode({"command": "/align", "text": "status"}), ""),
    ("empty body", "", "application/x-www-form-urlencoded"),
]


async def test_malformed_requests_answer_4xx_or_2xx_and_log_never_500(
    slack_driver: SlackDriver,
    bot_server: BotServer,
    state_store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    for what, body, content_type in MALFORMED:
        caplog.clear()
        resp = await slack_driver.post(body, content_type=content_type)
        assert 200 <= resp.status < 500, (what, resp.status, resp.text)
        assert "Traceback" not in resp.text
        await bot_server.bundle.deps.supervisor.wait_idle(timeout=10)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], what
        if resp.status >= 400:
            assert any("malformed" in r.getMessage() for r in caplog.records), what
    assert bot_server.bundle.deps.supervisor.failures == 0
    assert await state_store.list_runs() == []
    # The bot still answers a well-formed request afterwards.
    ok = await slack_driver.command("help")
    assert ok.status == 200


async def test_unsigned_malformed_request_is_refused_as_unsigned(slack_driver: SlackDriver) -> None:
    resp = await slack_driver.post(urlencode({"payload": "[1, 2]"}), signature="v0=" + "0" * 64)
    assert resp.status == 401

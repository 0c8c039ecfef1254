"""Socket Mode: the same app, connected through apps.connections.open and a websocket."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import build_app
from bot.config import load_settings
from bot.store import Store
from tests.slackkit import SlackEmulator


async def test_socket_mode_answers_align_help_and_still_serves_healthz(
    align_config: Path,
    slack_environ: dict[str, str],
    slack_emulator: SlackEmulator,
    state_store: Store,
) -> None:
    env = {**slack_environ, "SLACK_APP_TOKEN": slack_emulator.app_token}
    del env["SLACK_SIGNING_SECRET"]  # not needed in Socket Mode
    bundle = build_app(load_settings(align_config, env), state_store)
    assert bundle.socket_mode
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()  # connects Socket Mode (cleanup_ctx)
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        opened = await slack_emulator.wait_for("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {slack_emulator.app_token}"
        ack = await slack_emulator.push_envelope(
            "slash_commands",
            {
                "command": "/align",
                "text": "bogus",
                "user_id": "U0ALICE01",
                "channel_id": "C0OPS0001",
                "team_id": slack_emulator.team_id,
                "response_url": slack_emulator.new_response_url(),
                "trigger_id": "1.2.3",
            },
        )
        assert "Unknown subcommand `bogus`" in ack["payload"]["text"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as health,
        ):
            assert health.status == 200
            assert (await health.json())["mode"] == "socket"
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/slack/events", data=b"") as events,
        ):
            assert events.status == 404  # no HTTP events route in Socket Mode
    finally:
        await runner.cleanup()

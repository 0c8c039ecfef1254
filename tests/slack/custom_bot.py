"""A bot on a loopback port built from a config text of the test's own (the shared fixtures fix
one config): for the access and workspace rules that live in the config."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.app import AppBundle, build_app
from bot.config import load_settings
from bot.store import Store
from tests.slackkit import SlackDriver, SlackEmulator
from tests.slackkit.fixtures import SIGNING_SECRET

BASE = """
[bot]
channel = "C0OPS0001"

[access]
reviewers = ["U0BOB0002"]
{access}

{slack}

[targets.prod]
database_url = "${{PROD_DATABASE_URL}}"
desired_url = "${{DEV_DATABASE_URL}}"
snapshot = "none"
"""


@dataclass
class CustomBot:
    bundle: AppBundle
    driver: SlackDriver

    def foreign(self, team_id: str) -> SlackDriver:
        """A driver that signs like Slack but speaks for workspace ``team_id``."""
        return SlackDriver(
            self.driver.events_url,
            signing_secret=SIGNING_SECRET,
            emulator=self.driver.emulator,
            team_id=team_id,
        )


@asynccontextmanager
async def custom_bot(
    tmp_path: Path,
    environ: dict[str, str],
    store: Store,
    emulator: SlackEmulator,
    *,
    access: str = "",
    slack: str = "",
) -> AsyncIterator[CustomBot]:
    path = tmp_path / "custom.toml"
    path.write_text(BASE.format(access=access, slack=slack))
    bundle = build_app(load_settings(path, environ), store)
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        yield CustomBot(bundle, SlackDriver(url, signing_secret=SIGNING_SECRET, emulator=emulator))
    finally:
        await runner.cleanup()

"""Pytest fixtures for Slack-facing tests: emulator, config, store, the bot on a real port,
and the signing driver. Import them into a conftest (``from slackkit.fixtures import *``) or
register this module through ``pytest_plugins``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import AppBundle, build_app
from bot.config import Settings, load_settings
from bot.pgcluster import PgCluster
from bot.store import Store

from .driver import SlackDriver
from .emulator import SlackEmulator

__all__ = [
    "BOT_TOKEN",
    "SIGNING_SECRET",
    "BotServer",
    "align_config",
    "bot_server",
    "slack_driver",
    "slack_emulator",
    "slack_environ",
    "slack_settings",
    "state_store",
    "write_config",
]

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret-8f2c"

CONFIG_TEMPLATE = """\
# An example-like align-bot config for tests (secrets come from the environment).
[bot]
channel = "C0OPS0001"
log_level = "INFO"

[access]
reviewers = ["U0BOB0002"]

[targets.prod]
database_url = "${PROD_DATABASE_URL}"
desired_url = "${DEV_DATABASE_URL}"
snapshot = "none"
"""


def write_config(directory: Path, text: str = CONFIG_TEMPLATE) -> Path:
    path = directory / "align.toml"
    path.write_text(text)
    return path


@pytest.fixture
async def slack_emulator() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def align_config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
async def slack_environ(
    slack_emulator: SlackEmulator, pg_cluster: PgCluster, tmp_path: Path
) -> dict[str, str]:
    """The environment ``align serve`` would see: tokens, the emulator URL, target DSNs.

    The target URLs name databases on the test cluster that are not created (nothing in the
    Slack foundation connects to a target; creating two databases per test would double its
    cost). A test that runs the workflow sets them to ``make_db`` URLs.
    """
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_emulator.api_url,
        "PROD_DATABASE_URL": pg_cluster.url("align_prod_not_created"),
        "DEV_DATABASE_URL": pg_cluster.url("align_dev_not_created"),
        "ALIGN_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def slack_settings(align_config: Path, slack_environ: dict[str, str]) -> Settings:
    return load_settings(align_config, slack_environ)


@pytest.fixture
async def state_store(make_db: Callable[..., Awaitable[str]]) -> AsyncIterator[Store]:
    store = await Store.open(await make_db(), max_size=3)
    try:
        yield store
    finally:
        await store.close()


@dataclass
class BotServer:
    bundle: AppBundle
    url: str

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"


@pytest.fixture
async def bot_server(slack_settings: Settings, state_store: Store) -> AsyncIterator[BotServer]:
    """The real aiohttp app (build_app) on an ephemeral loopback port."""
    bundle = build_app(slack_settings, state_store)
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield BotServer(bundle=bundle, url=f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
def slack_driver(bot_server: BotServer, slack_emulator: SlackEmulator) -> SlackDriver:
    return SlackDriver(
        bot_server.events_url, signing_secret=SIGNING_SECRET, emulator=slack_emulator
    )

"""Several bot processes on one state store, as a rolling deploy runs them: each replica is a
``build_app`` of its own (its own store pool, supervisor, messenger and HTTP port) against the
same state database, the same Slack emulator and the same production and dev databases.
``replica.flow`` gives the usual Flow helpers (waits, clicks, the emulator's messages) aimed at
that replica's endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import Settings, load_settings
from bot.store import Store
from tests.slackkit import SlackDriver, SlackEmulator
from tests.slackkit.fixtures import BOT_TOKEN, SIGNING_SECRET

from .flow import ALICE, BOB, CAROL, CHANNEL, CONFIG, ONCALL, PROD, SAFE_DEV, Flow

__all__ = ["Replica", "Replicas", "make_replicas"]


@dataclass
class Replica:
    flow: Flow
    web_runner: web.AppRunner
    stopped: bool = False

    async def stop(self) -> None:
        """Stop the process the way SIGTERM does (the app's cleanup), then close its pool."""
        if self.stopped:
            return
        self.stopped = True
        await self.web_runner.cleanup()
        await self.flow.store.close()


@dataclass
class Replicas:
    slack: SlackEmulator
    settings: Settings
    state_url: str
    prod: str
    dev: str
    started: list[Replica] = field(default_factory=list)

    async def start_replica(self) -> Replica:
        store = await Store.open(self.state_url, max_size=5)
        bundle = build_app(self.settings, store)
        assert bundle.deps.messenger is not None
        bundle.deps.messenger.min_interval_s = 0.2
        runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        driver = SlackDriver(url, signing_secret=SIGNING_SECRET, emulator=self.slack)
        replica = Replica(Flow(bundle, self.slack, driver, store, self.prod, self.dev), runner)
        self.started.append(replica)
        return replica


MakeReplicas = Callable[..., Awaitable[Replicas]]


@pytest.fixture
async def make_replicas(
    make_db: Callable[..., Awaitable[str]], tmp_path: Path
) -> AsyncIterator[MakeReplicas]:
    made: list[Replicas] = []

    async def make(*, dev: str = SAFE_DEV) -> Replicas:
        prod, dev_url, state = await make_db(PROD), await make_db(dev), await make_db()
        slack = SlackEmulator(bot_token=BOT_TOKEN, usergroups={"S0REVIEWS1": []})
        await slack.start()
        config = tmp_path / "align.toml"
        config.write_text(
            CONFIG.format(
                channel=CHANNEL,
                oncall=ONCALL,
                bob=BOB,
                carol=CAROL,
                alice=ALICE,
                second="false",
                snapshot="none",
                extra="",
            )
        )
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "PROD_DATABASE_URL": prod,
            "DEV_DATABASE_URL": dev_url,
            "ALIGN_DATA_DIR": str(tmp_path / "data"),
        }
        replicas = Replicas(slack, load_settings(config, environ), state, prod, dev_url)
        made.append(replicas)
        return replicas

    yield make
    for replicas in made:
        for replica in reversed(replicas.started):
            await replica.stop()
        await replicas.slack.stop()

"""Fixtures for scheduled-job tests: production/desired databases, a store, the Slack emulator,
a FixedClock and the JobDeps every job takes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.clock import FixedClock
from bot.config import Policy, Schedules, Secret, Settings, SlackSettings
from bot.jobs import JobDeps
from bot.metrics import Metrics
from bot.slack.client import build_web_client
from bot.slack.notifier import Notifier
from bot.store import Store
from tests.builders import builtin_settings
from tests.slackkit.emulator import SlackEmulator
from tests.slackkit.fixtures import BOT_TOKEN, slack_emulator  # noqa: F401

SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), total numeric);
"""
CHANNEL = "C0OPS0001"
REVIEWERS = ("U0BOB0002", "S0REVIEW1")


@dataclasses.dataclass
class JobEnv:
    deps: JobDeps
    slack: SlackEmulator
    prod: str
    dev: str
    state: str
    clock: FixedClock

    @property
    def store(self) -> Store:
        return self.deps.store

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    async def prod_execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.prod)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def posts(self) -> list[dict]:
        return [c.args for c in self.slack.calls_to("chat.postMessage") if c.ok]


def job_settings(data_dir: Path, prod: str, dev: str, state: str, api_url: str) -> Settings:
    """The shared test settings plus a channel, reviewers, a drift-watch cron and Slack."""
    return builtin_settings(
        data_dir,
        prod,
        dev,
        state,
        channel=CHANNEL,
        policy=Policy(reviewers=REVIEWERS),
        schedules=Schedules(drift_watch="*/15 * * * *"),
        slack=SlackSettings(Secret(BOT_TOKEN), Secret("signing-secret"), None, api_url),
    )


@pytest.fixture
async def jobs_env(make_db, tmp_path: Path, slack_emulator: SlackEmulator) -> AsyncIterator[JobEnv]:  # noqa: F811
    prod, dev, state = await make_db(SCHEMA), await make_db(SCHEMA), await make_db()
    settings = job_settings(tmp_path / "data", prod, dev, state, slack_emulator.api_url)
    store = await Store.open(state, max_size=3)
    metrics = Metrics()
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    notifier = Notifier(build_web_client(settings.slack, max_retries=0), metrics=metrics)
    deps = JobDeps(settings=settings, store=store, notifier=notifier, clock=clock, metrics=metrics)
    try:
        yield JobEnv(deps, slack_emulator, prod, dev, state, clock)
    finally:
        await store.close()

"""The drift alert's "Start alignment" button, clicked through the bot's real HTTP endpoint."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.app import AppBundle, build_app
from bot.config import Policy
from bot.slack import ids
from bot.workflow.run import RunState
from tests.slackkit.driver import SlackDriver

from .conftest import CHANNEL


@dataclasses.dataclass
class Bot:
    bundle: AppBundle
    driver: SlackDriver


async def _serve(env, settings) -> AsyncIterator[Bot]:
    bundle = build_app(settings, env.store, clock=env.clock)
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        yield Bot(bundle, SlackDriver(url, signing_secret="signing-secret", emulator=env.slack))
    finally:
        await runner.cleanup()


@pytest.fixture
async def bot(jobs_env) -> AsyncIterator[Bot]:
    async for b in _serve(jobs_env, jobs_env.settings):
        yield b


@pytest.fixture
async def strict_bot(jobs_env) -> AsyncIterator[Bot]:
    settings = dataclasses.replace(
        jobs_env.settings, policy=Policy(requesters=("U0CAROL03",), reviewers=("U0BOB0002",))
    )
    async for b in _serve(jobs_env, settings):
        yield b


async def test_drift_button_starts_a_run_for_the_target(jobs_env, bot) -> None:
    resp = await bot.driver.block_action(
        ids.ACTION_DRIFT_START, value="prod", user="U0DAVE004", block_id=ids.BLOCK_DRIFT_ACTIONS
    )
    assert resp.status == 200
    reply = await jobs_env.slack.wait_for("response_url")
    assert "started for `prod`" in str(reply.args)
    [run] = await jobs_env.store.list_runs(target="prod")
    assert run.requested_by == "U0DAVE004" and run.requested_via == "slack"
    assert run.channel == CHANNEL
    final = await bot.bundle.deps.runner.wait(run.id)  # in sync: no review needed
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    clicks = [e for e in await jobs_env.store.audit_events() if e.action == "click.drift.start"]
    assert [(e.actor, e.target) for e in clicks] == [("U0DAVE004", "prod")]


async def test_drift_button_refuses_who_may_not_request(jobs_env, strict_bot) -> None:
    await strict_bot.driver.block_action(ids.ACTION_DRIFT_START, value="prod", user="U0DAVE004")
    reply = await jobs_env.slack.wait_for("response_url")
    assert "access.requesters" in str(reply.args)
    assert await jobs_env.store.list_runs() == []


async def test_drift_button_without_workflow_says_so(jobs_env, bot) -> None:
    bot.bundle.deps.runner = None
    await bot.driver.block_action(ids.ACTION_DRIFT_START, value="prod", user="U0DAVE004")
    reply = await jobs_env.slack.wait_for("response_url")
    assert "not available" in str(reply.args)
    assert await jobs_env.store.list_runs() == []


async def test_drift_button_unknown_target_is_explained(jobs_env, bot) -> None:
    await bot.driver.block_action(ids.ACTION_DRIFT_START, value="staging", user="U0DAVE004")
    reply = await jobs_env.slack.wait_for("response_url")
    assert "unknown target" in str(reply.args)

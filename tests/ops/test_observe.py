"""Operations: /metrics after a real run, and the run's JSON log lines (context, no secrets)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

from bot.app import AppBundle, build_app
from bot.jobs.drift_watch import watch_drift
from bot.log import setup_logging
from bot.store import Run
from bot.workflow.run import RunState
from tests.builders import decide


@pytest.fixture
async def served(jobs_env) -> AsyncIterator[tuple[AppBundle, str]]:
    bundle = build_app(jobs_env.settings, jobs_env.store, clock=jobs_env.clock)
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield bundle, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def _full_run(jobs_env, bundle: AppBundle) -> Run:
    await jobs_env.prod_execute("ALTER TABLE users ADD COLUMN nickname text")
    runner = bundle.deps.runner
    assert runner is not None
    run = await runner.start(target="prod", requested_by="U0ALICE01", via="slack")
    run = await runner.wait(run.id)
    assert run.state is RunState.AWAITING_REVIEW, run.error
    await decide(runner, run, decision="approved", user="U0BOB0002")
    final = await runner.wait(run.id)
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    return final


async def test_metrics_exposed_after_a_run(jobs_env, served) -> None:
    bundle, url = served
    await _full_run(jobs_env, bundle)
    jobs = jobs_env.deps.__class__(**{**jobs_env.deps.__dict__, "metrics": bundle.deps.metrics})
    await watch_drift(jobs)
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as resp:
        assert resp.status == 200
        body = await resp.text()
    lines = body.splitlines()
    assert 'align_runs_total{target="prod",outcome="in_sync"} 1' in lines
    for step in ("snapshot", "diff", "rehearsal", "apply", "verify", "health_checks"):
        assert f'align_step_duration_seconds_count{{step="{step}",status="succeeded"}} 1' in lines
    assert 'align_drift_checks_total{target="prod",result="in_sync"} 1' in lines
    assert 'align_drift_statements{target="prod"} 0' in lines
    for family in ("align_slack_ack_seconds", "align_slack_api_errors_total"):
        assert f"# TYPE {family}" in body.replace(" histogram", "").replace(" counter", "")


@pytest.fixture
def captured_logs(jobs_env) -> AsyncIterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = setup_logging(level="INFO", masker=jobs_env.settings.masker(), stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_run_log_lines_carry_context_and_no_password(jobs_env, served, captured_logs) -> None:
    bundle, _url = served
    password = urlsplit(jobs_env.prod).password
    assert password
    run = await _full_run(jobs_env, bundle)
    logging.getLogger("bot.test").warning(
        "connected to %s", jobs_env.prod, extra={"run_id": run.id}
    )
    text = captured_logs.getvalue()
    assert password not in text
    entries = [json.loads(line) for line in text.splitlines()]
    mine = [e for e in entries if e.get("run_id") == run.id]
    assert len(mine) > 10
    assert all(e.get("target") == "prod" and e.get("step") for e in mine), [
        e for e in mine if not (e.get("target") and e.get("step"))
    ]
    transitions = [
        (e["event"], e["step"]) for e in mine if e.get("logger") == "bot.run" and "event" in e
    ]
    assert ("step_started", "snapshot") in transitions
    assert ("step_finished", "verify") in transitions
    assert ("decided", "apply") in transitions and ("state", "verifying") in transitions
    assert transitions[-1][0] in ("report", "finished")
    assert "***" in mine[-1]["msg"]

"""The scheduler: firing slots, leases across instances, failures, and the app lifecycle."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from aiohttp import web
from apscheduler.triggers.cron import CronTrigger

from bot.app import build_app
from bot.config import Schedules
from bot.metrics import Metrics
from bot.scheduler import (
    SCHEDULER_KEY,
    JobScheduler,
    JobSpec,
    firing_slot,
    scheduled_jobs,
    scheduler_context,
)
from bot.store import Store


async def _until(condition, timeout: float = 10.0) -> None:
    """Poll ``condition`` (the store, metrics) until it holds; TimeoutError otherwise."""
    async with asyncio.timeout(timeout):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.02)


def test_firing_slot_is_the_latest_scheduled_minute() -> None:
    trigger = CronTrigger.from_crontab("*/15 * * * *", timezone=UTC)
    at = datetime(2026, 3, 2, 10, 17, 42, 123000, tzinfo=UTC)
    assert firing_slot(trigger, at, lookback_s=360) == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    late = datetime(2026, 3, 2, 10, 15, 0, 300000, tzinfo=UTC)
    assert firing_slot(trigger, late, lookback_s=360) == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    forced = datetime(2026, 3, 2, 10, 29, 5, tzinfo=UTC)  # no slot within the lookback
    assert firing_slot(trigger, forced, lookback_s=60) == datetime(2026, 3, 2, 10, 29, tzinfo=UTC)


def test_scheduled_jobs_leaves_out_schedules_turned_off(jobs_env) -> None:
    names = [j.name for j in scheduled_jobs(jobs_env.deps)]
    assert names == ["drift_watch", "reminders", "approval_expiry", "retention"]
    off = dataclasses.replace(
        jobs_env.settings, schedules=Schedules(drift_watch=None, retention=None)
    )
    deps = dataclasses.replace(jobs_env.deps, settings=off)
    assert [j.name for j in scheduled_jobs(deps)] == ["reminders", "approval_expiry"]


async def test_scheduler_two_instances_run_a_drift_firing_once(jobs_env) -> None:
    await jobs_env.prod_execute("ALTER TABLE users ADD COLUMN nickname text")
    second_store = await Store.open(jobs_env.state, max_size=2)
    try:
        replica = dataclasses.replace(jobs_env.deps, store=second_store, metrics=Metrics())
        a = JobScheduler(store=jobs_env.store, jobs=scheduled_jobs(jobs_env.deps), owner="a")
        b = JobScheduler(store=second_store, jobs=scheduled_jobs(replica), owner="b")
        slot = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
        results = await asyncio.gather(
            a.fire("drift_watch", fired_at=slot), b.fire("drift_watch", fired_at=slot)
        )
    finally:
        await second_store.close()
    assert sorted(r is None for r in results) == [False, True]
    assert len(jobs_env.posts()) == 1
    [lease] = await jobs_env.store.job_runs("drift_watch")
    assert lease.fired_at == slot and lease.owner in ("a", "b")
    assert lease.finished_at is not None and lease.result == {"prod": "drift"}
    skipped = a.metrics.jobs.value(job="drift_watch", result="skipped") + b.metrics.jobs.value(
        job="drift_watch", result="skipped"
    )
    assert skipped == 1


async def test_scheduler_cron_firing_runs_once_across_two_started_instances(jobs_env) -> None:
    ran: list[str] = []

    def spec(owner: str) -> JobSpec:
        async def body() -> dict:
            ran.append(owner)
            return {"ran_by": owner}

        return JobSpec("tick", "* * * * *", body)

    a = JobScheduler(store=jobs_env.store, jobs=[spec("a")], owner="a")
    b = JobScheduler(store=jobs_env.store, jobs=[spec("b")], owner="b")
    a.start()
    b.start()
    try:
        a.trigger_now("tick")
        b.trigger_now("tick")

        async def both_fired() -> bool:
            done = [m.jobs.value(job="tick", result=r) for m in (a.metrics, b.metrics)
                    for r in ("ok", "skipped")]  # fmt: skip
            return sum(done) == 2

        await _until(both_fired)
    finally:
        await a.stop()
        await b.stop()
    assert len(ran) == 1
    [lease] = await jobs_env.store.job_runs("tick")
    assert lease.owner == ran[0] and lease.result == {"ran_by": ran[0]}
    assert lease.fired_at.second == 0


async def test_scheduler_failing_job_is_recorded_and_not_raised(jobs_env) -> None:
    async def broken() -> dict:
        raise RuntimeError("boom")

    scheduler = JobScheduler(store=jobs_env.store, jobs=[JobSpec("broken", "0 * * * *", broken)])
    slot = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert await scheduler.fire("broken", fired_at=slot) == {"error": "RuntimeError"}
    [lease] = await jobs_env.store.job_runs("broken")
    assert lease.result == {"error": "RuntimeError"} and lease.finished_at is not None
    assert scheduler.metrics.jobs.value(job="broken", result="failed") == 1
    assert await scheduler.fire("broken", fired_at=slot) is None  # that slot is taken


async def test_scheduler_lives_in_the_app_lifecycle(jobs_env) -> None:
    bundle = build_app(jobs_env.settings, jobs_env.store, clock=jobs_env.clock)
    bundle.web.cleanup_ctx.append(scheduler_context(bundle.deps))
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        scheduler = bundle.web[SCHEDULER_KEY]
        assert sorted(scheduler.jobs) == [
            "approval_expiry", "drift_watch", "reminders", "retention",
        ]  # fmt: skip
        scheduler.trigger_now("reminders")

        async def reminded() -> bool:
            runs = await jobs_env.store.job_runs("reminders")
            return bool(runs) and runs[0].finished_at is not None

        await _until(reminded)
    finally:
        await runner.cleanup()
    [lease] = await jobs_env.store.job_runs("reminders")
    assert lease.result == {"review": [], "deferred": []}

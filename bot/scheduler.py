"""APScheduler wiring for the jobs in ``bot/jobs/``: cron triggers, leases, lifecycle.

Each job is an ``AsyncIOScheduler`` job on ``CronTrigger.from_crontab(expr, timezone=UTC)`` with
``max_instances=1`` and ``coalesce=True``. Several replicas may share one store, and every
replica's scheduler fires every slot, so a firing first claims a lease row
``(job, fired_at)`` in the store (``INSERT … ON CONFLICT DO NOTHING``): exactly one replica gets
it and runs the job, the others skip. ``fired_at`` is the scheduled slot (the latest trigger
time not after now, to the minute), so replicas whose clocks or loops differ by seconds still
claim the same key. A job that raises is logged and recorded on its lease row; it never takes
the bot down. ``scheduler_context(deps)`` is an aiohttp ``cleanup_ctx`` entry: start with the
app, stop at shutdown. Jobs are background work (each firing is recorded on its lease and the
next slot does it again), so shutdown cancels a running job at once rather than granting it
the grace a run's work gets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.jobs import JobDeps
from bot.jobs.drift_watch import watch_drift
from bot.jobs.reminders import expire_approvals, remind_reviews
from bot.jobs.retention import prune_snapshots
from bot.log import log_context
from bot.metrics import Metrics
from bot.store import Store

if TYPE_CHECKING:
    from bot.app import Deps

log = logging.getLogger(__name__)

__all__ = [
    "SCHEDULER_KEY",
    "JobScheduler",
    "JobSpec",
    "firing_slot",
    "owner_id",
    "scheduled_jobs",
    "scheduler_context",
]

MISFIRE_GRACE_S = 300  # a firing delayed by a busy loop still runs (and claims its own slot)


@dataclass(frozen=True)
class JobSpec:
    """A job: its name (the lease key), its 5-field cron expression and its body."""

    name: str
    cron: str
    body: Callable[[], Awaitable[dict[str, Any]]]


def owner_id() -> str:
    """Names this process on lease rows: ``host:pid:nonce``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def firing_slot(trigger: CronTrigger, now: datetime, *, lookback_s: float) -> datetime:
    """The trigger's latest fire time not after ``now`` (searched ``lookback_s`` back), to the
    minute; ``now`` to the minute when there is none (a firing forced by hand)."""
    slot: datetime | None = None
    candidate = trigger.get_next_fire_time(None, now - timedelta(seconds=lookback_s))
    while candidate is not None and candidate <= now:
        slot = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    return (slot or now).astimezone(UTC).replace(second=0, microsecond=0)


def scheduled_jobs(deps: JobDeps) -> list[JobSpec]:
    """The configured jobs (a schedule set to "" is off)."""
    s = deps.settings.schedules
    specs = [
        ("drift_watch", s.drift_watch, lambda: watch_drift(deps)),
        ("reminders", s.reminders, lambda: remind_reviews(deps)),
        ("approval_expiry", s.reminders, lambda: expire_approvals(deps)),
        ("retention", s.retention, lambda: prune_snapshots(deps)),
    ]
    return [JobSpec(name, cron, body) for name, cron, body in specs if cron]


class JobScheduler:
    """Runs :class:`JobSpec` s on their crons, each firing at most once across replicas."""

    def __init__(
        self,
        *,
        store: Store,
        jobs: Sequence[JobSpec],
        metrics: Metrics | None = None,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.jobs = {job.name: job for job in jobs}
        self.metrics = metrics or Metrics()
        self.owner = owner or owner_id()
        self._scheduler: AsyncIOScheduler | None = None
        self._triggers = {
            job.name: CronTrigger.from_crontab(job.cron, timezone=UTC) for job in jobs
        }
        self._running: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ firing
    async def fire(self, name: str, *, fired_at: datetime) -> dict[str, Any] | None:
        """Run job ``name`` for the slot ``fired_at`` unless another replica already has;
        returns the job's summary, ``{"error": …}`` if it failed, or None when skipped."""
        job = self.jobs[name]
        slot = fired_at.astimezone(UTC).replace(second=0, microsecond=0)
        if not await self.store.claim_job(name, slot, self.owner):
            log.debug("job %s at %s: another replica has it", name, slot.isoformat())
            self.metrics.jobs.inc(job=name, result="skipped")
            return None
        log.info("job started", extra={"job": name, "fired_at": slot.isoformat()})
        try:
            with log_context(step=f"job:{name}"):
                result = await job.body()
        except asyncio.CancelledError:
            await self._finish(name, slot, {"error": "cancelled at shutdown"})
            raise
        except Exception as exc:  # a failed job is logged and recorded, never fatal
            log.exception("job failed", extra={"job": name})
            self.metrics.jobs.inc(job=name, result="failed")
            result = {"error": type(exc).__name__}
            await self._finish(name, slot, result)
            return result
        self.metrics.jobs.inc(job=name, result="ok")
        await self._finish(name, slot, result)
        log.info("job finished", extra={"job": name, "result": str(result)[:500]})
        return result

    async def _finish(self, name: str, slot: datetime, result: dict[str, Any]) -> None:
        try:
            await self.store.finish_job(name, slot, result=result)
        except Exception:  # the lease is already held; a missing result only loses a note
            log.exception("could not record the job's result", extra={"job": name})

    async def _fire_now(self, name: str) -> None:
        """What APScheduler calls: find the slot being fired, then :meth:`fire`."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            slot = firing_slot(
                self._triggers[name], datetime.now(UTC), lookback_s=MISFIRE_GRACE_S + 60
            )
            await self.fire(name, fired_at=slot)
        except Exception:  # the store is down, …: log, wait for the next slot
            log.exception("job could not be started", extra={"job": name})
        finally:
            if task is not None:
                self._running.discard(task)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Add every job to a new AsyncIOScheduler and start it (needs a running loop)."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        for name in self.jobs:
            scheduler.add_job(
                self._fire_now,
                self._triggers[name],
                args=[name],
                id=name,
                name=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=MISFIRE_GRACE_S,
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "scheduler started",
            extra={"jobs": ", ".join(f"{j.name}={j.cron}" for j in self.jobs.values())},
        )

    def trigger_now(self, name: str) -> None:
        """Make job ``name`` fire at once (operators and tests); it still takes its lease."""
        assert self._scheduler is not None, "start() first"
        job = self._scheduler.get_job(name)
        job.modify(next_run_time=datetime.now(UTC))
        self._scheduler.wakeup()

    async def stop(self) -> None:
        """Stop firing, cancel running jobs at once and wait for them to unwind (a cancelled
        job records "cancelled at shutdown" on its lease)."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.shutdown(wait=False)
        running = set(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        log.info("scheduler stopped")


def scheduler_context(
    deps: Deps,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp ``cleanup_ctx`` entry running the configured jobs with ``deps``."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        job_deps = JobDeps(
            settings=deps.settings,
            store=deps.store,
            notifier=deps.notifier,
            clock=deps.clock,
            metrics=deps.metrics,
        )
        scheduler = JobScheduler(
            store=deps.store, jobs=scheduled_jobs(job_deps), metrics=deps.metrics
        )
        scheduler.start()
        app[SCHEDULER_KEY] = scheduler
        try:
            yield
        finally:
            await scheduler.stop()

    return context


SCHEDULER_KEY = web.AppKey("align_scheduler", JobScheduler)

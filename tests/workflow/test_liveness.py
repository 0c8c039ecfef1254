"""Invariant 6, the liveness half: a live run is never declared dead because the store blinked.

Every test holds a real apply on a lock in production (a blocker transaction holds ACCESS SHARE
on ``users``; the apply's ALTER waits), then does what a fault or a second replica would do:

* the state database is stopped for ~12 s and started again on the same port (its own cluster,
  so nothing else in the session is disturbed) while this process's sweep keeps running;
* the orphan sweep runs while the heartbeat says the driver is silent;
* another replica really does declare the run interrupted, and the apply then commits.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from bot.config import Timeouts
from bot.pgcluster import PgCluster
from bot.store import Run, Store
from bot.tasks import TaskSupervisor
from bot.workflow.run import RunState
from bot.workflow.runner import Runner
from tests.builders import builtin_settings, decide

from .conftest import DEV, PROD

S = RunState
OUTAGE_S = 12.0  # what the issue reproduced: ~12 s of state database outage
_SILENT_FOR_AN_HOUR = "UPDATE align_run SET heartbeat_at = now() - interval '1 hour'"


async def _until(predicate, *, timeout: float = 60.0, every: float = 0.05):
    async with asyncio.timeout(timeout):
        while not (value := await predicate()):
            await asyncio.sleep(every)
    return value


@dataclasses.dataclass
class Rig:
    store: Store
    state_url: str
    prod: str
    supervisor: TaskSupervisor
    runner: Runner

    async def to_review(self) -> Run:
        run = await self.runner.start(target="prod", requested_by="U0ALICE01", via="cli")
        run = await self.runner.wait(run.id)
        assert run.state is S.AWAITING_REVIEW, (run.state, run.error)
        return run

    async def approve_blocked(self, run: Run) -> asyncpg.Connection:
        """Approve with production's ``users`` locked; returns the blocker once the apply is
        waiting on it (commit or roll back the blocker's transaction to let the apply go)."""
        blocker = await asyncpg.connect(self.prod)
        await blocker.execute("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE")
        await decide(self.runner, run, decision="approved", user="U0BOB0002")
        watcher = await asyncpg.connect(self.prod)
        try:
            await _until(
                lambda: watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            )
        finally:
            await watcher.close()
        assert (await self.store.get_run(run.id)).state is S.APPLYING
        return blocker

    async def actions(self, run_id: str) -> list[str]:
        return [e.action for e in await self.store.audit_events(run_id=run_id)]


async def _rig(make_db, tmp_path: Path, state_url: str, *, heartbeat_s: float) -> tuple[Rig, Store]:
    prod, dev = await make_db(PROD), await make_db(DEV)
    settings = builtin_settings(
        tmp_path / "data",
        prod,
        dev,
        state_url,
        timeouts=Timeouts(lock_timeout_ms=300_000),  # the apply waits out the whole fault
    )
    target = dataclasses.replace(settings.targets["prod"], snapshot="none", rehearsal="off")
    settings = dataclasses.replace(settings, targets={"prod": target})
    store = await Store.open(state_url)
    supervisor = TaskSupervisor()
    runner = Runner(settings=settings, store=store, supervisor=supervisor, heartbeat_s=heartbeat_s)
    return Rig(store, state_url, prod, supervisor, runner), store


@pytest.fixture
async def state_cluster() -> AsyncIterator[PgCluster]:
    """A cluster of its own for the state database: the test stops and restarts it."""
    cluster = await PgCluster.start_ephemeral()
    try:
        yield cluster
    finally:
        await cluster.stop(delete=True)


async def test_liveness_state_outage_during_apply_the_run_finishes_done(
    make_db, tmp_path: Path, state_cluster: PgCluster
) -> None:
    state_url = await state_cluster.create_database("align_state")
    rig, store = await _rig(make_db, tmp_path, state_url, heartbeat_s=0.5)
    # This process's orphan sweep runs all along, impatient: a second of silence is "dead".
    sweep = rig.supervisor.spawn(
        rig.runner.sweep_orphans(every_s=0.1, quiet_s=1.0), name="sweep", background=True
    )
    try:
        run = await rig.to_review()
        blocker = await rig.approve_blocked(run)
        port = state_cluster.port
        assert port is not None
        await state_cluster.stop()  # the state database goes away mid-apply ...
        await asyncio.sleep(OUTAGE_S)  # ... for as long as the issue saw (the fault itself)
        await state_cluster.start(port=port)  # ... and comes back where it was

        # Heartbeats come back on their own: the first one after the outage is newer than the
        # server's own start.
        probe = await asyncpg.connect(state_url)
        try:
            up_since: datetime = await probe.fetchval("SELECT pg_postmaster_start_time()")
            await _until(
                lambda: probe.fetchval(
                    "SELECT heartbeat_at > $2 FROM align_run WHERE id = $1", run.id, up_since
                ),
                timeout=60,
            )
        finally:
            await probe.close()
        current = await store.get_run(run.id)
        assert current.state is S.APPLYING  # not swept, though it was silent for 12 s

        await blocker.execute("ROLLBACK")  # the lock goes; the apply commits
        await blocker.close()
        final = await rig.runner.wait(run.id)
        assert final.state is S.DONE, (final.state, final.error, final.data.get("notes"))
        assert final.outcome == "IN SYNC"
        actions = await rig.actions(run.id)
        assert "run.interrupted" not in actions
        assert actions.index("run.applying") < actions.index("run.done")
        assert not sweep.done()  # the sweep itself survived the outage too
    finally:
        await rig.supervisor.close(grace=30)
        await store.close()


async def test_liveness_sweep_never_touches_a_run_this_process_drives(
    make_db, tmp_path: Path
) -> None:
    rig, store = await _rig(make_db, tmp_path, await make_db(), heartbeat_s=3600)
    try:
        run = await rig.to_review()
        blocker = await rig.approve_blocked(run)
        # The heartbeat looks an hour old (the store missed it, or the clock jumped).
        await _execute(
            rig.state_url, "UPDATE align_run SET heartbeat_at = now() - interval '1 hour'"
        )
        assert await rig.runner.recover(quiet_s=0) == []
        current = await store.get_run(run.id)
        assert current.state is S.APPLYING and "run.interrupted" not in await rig.actions(run.id)

        await blocker.execute("ROLLBACK")
        await blocker.close()
        final = await rig.runner.wait(run.id)
        assert final.state is S.DONE and final.outcome == "IN SYNC"
    finally:
        await rig.supervisor.close(grace=30)
        await store.close()


async def test_liveness_run_ended_by_another_replica_stays_ended_and_says_what_happened(
    make_db, tmp_path: Path
) -> None:
    """A replica that believes the driver dead marks the apply interrupted (it verified
    production while the apply was still waiting: OUT OF SYNC). The apply then commits here:
    the run must not move interrupted → verifying → done; it stays interrupted, and records
    what production has now."""
    rig, store = await _rig(make_db, tmp_path, await make_db(), heartbeat_s=3600)
    other_supervisor = TaskSupervisor()
    other = Runner(
        settings=rig.runner.settings, store=store, supervisor=other_supervisor, heartbeat_s=3600
    )
    try:
        run = await rig.to_review()
        blocker = await rig.approve_blocked(run)
        await _execute(
            rig.state_url, "UPDATE align_run SET heartbeat_at = now() - interval '1 hour'"
        )
        swept = await other.recover(quiet_s=60)
        assert [r.id for r in swept] == [run.id]
        assert swept[0].state is S.INTERRUPTED and swept[0].outcome == "OUT OF SYNC"

        await blocker.execute("ROLLBACK")  # the "dead" apply goes on and commits
        await blocker.close()
        final = await rig.runner.wait(run.id)
        assert final.state is S.INTERRUPTED  # final states are final
        assert final.outcome == "IN SYNC"  # ... and the record says what production has now
        assert final.data["verify"]["in_sync"] is True
        assert any("production was verified afterwards: IN SYNC" in n for n in final.data["notes"])
        actions = await rig.actions(run.id)
        assert "run.verifying" not in actions and "run.done" not in actions
        assert (rig.runner.run_dir(run.id) / f"{run.id}.md").exists()
    finally:
        await other_supervisor.close(grace=30)
        await rig.supervisor.close(grace=30)
        await store.close()


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()

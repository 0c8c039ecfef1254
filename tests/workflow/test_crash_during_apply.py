"""Invariant 6 for real: `align run` is killed with SIGKILL while its apply is in flight; after a
restart the run is interrupted, production verified, and the apply never re-run."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg

from bot.config import load_settings
from bot.store import Store
from bot.tasks import TaskSupervisor
from bot.workflow.run import RunState
from bot.workflow.runner import Runner

from .conftest import DEV, PROD

CONFIG = """
[bot]
data_dir = "{data}"
[access]
four_eyes = false
terminal_reviewers = ["{me}"]
[timeouts]
lock_timeout = "60s"
[targets.prod]
database_url = "{prod}"
desired_url = "{dev}"
snapshot = "pg_dump"
rehearsal = "off"
"""


async def _wait_for(predicate, *, timeout: float = 60.0, every: float = 0.1):
    async with asyncio.timeout(timeout):
        while not (value := await predicate()):
            await asyncio.sleep(every)
    return value


async def test_sigkill_during_apply_is_interrupted_and_never_reapplied(make_db, tmp_path: Path):
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = tmp_path / "align.toml"
    cfg.write_text(CONFIG.format(data=tmp_path / "data", prod=prod, dev=dev, me=getpass.getuser()))
    blocker = await asyncpg.connect(prod)
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute("LOCK TABLE users IN ACCESS SHARE MODE")  # apply's ALTER will wait
    env = {**os.environ, "ALIGN_STATE_URL": state}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "bot",
            "run",
            "prod",
            "--config",
            str(cfg),
            "--decision",
            "approve",
            "--confirm-target",
            "prod",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    store = await Store.open(state)
    try:

        async def applying():
            runs = await store.runs_in_states([RunState.APPLYING])
            return runs[0] if runs else None

        run = await _wait_for(applying)

        watcher = await asyncpg.connect(prod)  # not the blocker: inside its transaction the
        # statistics views would show one frozen snapshot

        async def waiting_on_lock():
            return await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )

        await _wait_for(waiting_on_lock)
        await watcher.close()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        await tx.rollback()  # the orphaned apply gets its lock, then finds its client gone
        await blocker.close()

        supervisor = TaskSupervisor()
        runner = Runner(settings=load_settings(cfg, {}), store=store, supervisor=supervisor)
        resolved = await runner.recover(quiet_s=0)
        await supervisor.close()
        assert [r.id for r in resolved] == [run.id]
        final = await store.get_run(run.id)
        assert final.state is RunState.INTERRUPTED
        assert final.data["verify"]["in_sync"] is False  # never committed: still behind dev
        assert final.outcome == "OUT OF SYNC"
        applies = [s for s in await store.steps(run.id) if s.name == "apply"]
        assert len(applies) == 1 and applies[0].status == "running"  # the dead attempt only
        conn = await asyncpg.connect(prod)
        assert await conn.fetchval("SELECT to_regclass('public.legacy') IS NOT NULL")
        await conn.close()
        assert (runner.run_dir(run.id) / f"{run.id}.md").exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        output = proc.communicate(timeout=10)[0].decode(errors="replace")
        print("align run output:\n" + output)  # shown by pytest when the test fails
        await store.close()

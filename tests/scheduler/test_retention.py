"""Retention: old snapshots (real pg_dump files) deleted, recorded, and marked on their runs."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.jobs.retention import prune_snapshots
from bot.pgcluster import EPHEMERAL_PREFIX, OWNER_FILE
from bot.snapshots import provider_for
from bot.store import Run
from bot.workflow.run import RunState


async def _run_with_snapshot(env) -> tuple[Run, str]:
    run = await env.store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="slack"
    )
    provider = provider_for(
        env.settings.targets["prod"], data_dir=env.settings.data_dir, masker=None
    )
    info = await provider.create(run_id=run.id)
    await env.store.update_run(run.id, snapshot_id=info.id, data={"snapshot": info.to_json()})
    done = await env.store.transition(
        run.id, from_states=[RunState.REQUESTED], to_state=RunState.DONE
    )
    assert done is not None and info.path is not None
    return done, info.path


async def test_retention_deletes_old_dumps_records_them_and_keeps_run_folders(jobs_env) -> None:
    old_run, old_path = await _run_with_snapshot(jobs_env)
    new_run, new_path = await _run_with_snapshot(jobs_env)
    days = jobs_env.settings.schedules.retention_days
    aged = (jobs_env.clock.now() - timedelta(days=days + 1)).timestamp()
    os.utime(old_path, (aged, aged))
    report = jobs_env.settings.data_dir / "runs" / old_run.id / f"{old_run.id}.md"
    report.parent.mkdir(parents=True)
    report.write_text("# report")
    await jobs_env.store.claim_job("reminders", datetime(2020, 1, 1, tzinfo=UTC), "old")

    result = await prune_snapshots(jobs_env.deps)

    assert result["prod"] == [old_run.snapshot_id] and result["job_leases_forgotten"] == 1
    assert not os.path.exists(old_path) and os.path.exists(new_path)
    assert report.exists()  # run folders are the audit trail
    old = await jobs_env.store.get_run(old_run.id)
    new = await jobs_env.store.get_run(new_run.id)
    assert old is not None and old.data["snapshot"]["status"] == "deleted"
    assert new is not None and new.data["snapshot"]["status"] == "available"
    [event] = [e for e in await jobs_env.store.audit_events() if e.action == "retention.deleted"]
    assert event.target == "prod" and event.detail["id"] == old_run.snapshot_id
    assert event.detail["path"] == old_path
    again = await prune_snapshots(jobs_env.deps)
    assert again["prod"] == [] and again["job_leases_forgotten"] == 0


async def test_retention_removes_clusters_a_dead_process_left_and_audits_it(jobs_env) -> None:
    leftover = Path(tempfile.mkdtemp(prefix=EPHEMERAL_PREFIX))
    (leftover / "data").mkdir()
    (leftover / "data" / "base.bin").write_bytes(b"\0" * 4096)
    # a pid above the kernel's maximum (2**22): its owner is surely gone
    owner = {"pid": 2**22 + 17, "pid_started": "1", "purpose": "rehearsal", "run_id": "r-1"}
    (leftover / OWNER_FILE).write_text(json.dumps(owner))

    result = await prune_snapshots(jobs_env.deps)

    assert str(leftover) in result["leftovers_removed"]
    assert not leftover.exists()
    events = [e for e in await jobs_env.store.audit_events() if e.action == "cleanup.leftover"]
    [event] = [e for e in events if e.detail["path"] == str(leftover)]
    assert event.run_id == "r-1" and event.detail["size_bytes"] >= 4096

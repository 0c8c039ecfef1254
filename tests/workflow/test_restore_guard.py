"""Restore is a guarded action (invariant 9), tried as the attacks and faults it must survive, on
real PostgreSQL with the real Runner and pg_dump snapshots.

The scenario every test starts from: run A failed (its apply rolled back; its snapshot is the
restore point), then run B applied a change and the application wrote rows. Restoring A's
snapshot would wipe B's change and those rows while B still says ``done — IN SYNC``.
"""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
import pytest

from bot.errors import RunRefused
from bot.store import Run
from bot.workflow import restore_rules
from bot.workflow.run import RunState
from tests.builders import decide

REVIEWER = "U0BOB0002"
ONCALL = "U0CAROL03"


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _approve_and_wait(wf, run: Run) -> Run:
    await decide(wf.runner, run, decision="approved", user=REVIEWER)
    return await wf.runner.wait(run.id)


async def _failed_then_later_applied(wf) -> tuple[Run, Run]:
    """A fails at apply (rolled back); B then applies ``verified`` and the app writes rows."""
    wf.with_target(rehearsal="off")
    await _execute(wf.dev, "ALTER TABLE users ADD COLUMN tenant point NOT NULL")
    a = await _approve_and_wait(wf, await wf.until_review())
    assert a.state is RunState.FAILED, a.error
    await _execute(wf.dev, "ALTER TABLE users DROP COLUMN tenant")
    b = await _approve_and_wait(wf, await wf.until_review())
    assert b.state is RunState.DONE and b.outcome == "IN SYNC", b.error
    await _execute(wf.prod, "INSERT INTO users (id, email, verified) VALUES (1001, 'new@x', true)")
    return a, b


async def _later_work_is_there(url: str) -> bool:
    """B's column and index, and the row the application wrote after B."""
    rows = await _fetch(
        url,
        """SELECT (SELECT count(*) FROM information_schema.columns
                   WHERE table_name = 'users' AND column_name = 'verified') AS col,
                  (SELECT count(*) FROM pg_class WHERE relname = 'users_email_idx') AS idx,
                  (SELECT count(*) FROM users WHERE id = 1001) AS written""",
    )
    return tuple(rows[0]) == (1, 1, 1)


async def test_restore_over_a_later_applied_run_is_refused_and_production_untouched(wf) -> None:
    a, b = await _failed_then_later_applied(wf)

    with pytest.raises(RunRefused, match=f"later runs applied.*{b.id}") as refused:
        await wf.runner.restore_snapshot(a.id, user=ONCALL)

    assert "type" in refused.value.message and b.id in refused.value.message
    assert await _later_work_is_there(wf.prod)
    assert await wf.store.recovery_actions(a.id) == []
    audit = [e for e in await wf.store.audit_events(run_id=a.id)]
    refusal = [e for e in audit if e.action == "recovery.restore_refused"]
    assert refusal and refusal[-1].detail["later_runs"] == [b.id]
    with pytest.raises(RunRefused, match="later runs applied"):  # a wrong override: refused too
        await wf.runner.restore_snapshot(a.id, user=ONCALL, override="yes restore it")
    assert await _later_work_is_there(wf.prod)


async def test_restore_with_the_later_runs_typed_restores_and_records_the_override(wf) -> None:
    a, b = await _failed_then_later_applied(wf)
    check = await wf.runner.restore_check(a.id)
    assert check.refusal is None and [x.run_id for x in check.later] == [b.id]
    assert check.override_words == b.id
    assert any(b.id in line and "IN SYNC" in line for line in check.losses())

    restored = await wf.runner.restore_snapshot(a.id, user=ONCALL, override=f" {b.id} ")

    assert restored.data["snapshot"]["status"] == "restored"
    assert not await _later_work_is_there(wf.prod)
    columns = await _fetch(
        wf.prod, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
    )
    assert "verified" not in {r["column_name"] for r in columns}
    assert len(await _fetch(wf.prod, "SELECT * FROM users")) == 50  # the snapshot's rows
    [action] = await wf.store.recovery_actions(a.id)
    assert action.action == "restored_snapshot" and b.id in (action.note or "")
    override = action.detail["override"]
    assert override["typed"].strip() == b.id
    assert [r["id"] for r in override["later_runs"]] == [b.id]
    assert override["later_runs"][0]["result"] == "done — IN SYNC"
    assert override["snapshot_age_s"] is not None
    audited = [e.action for e in await wf.store.audit_events(run_id=a.id)]
    assert "recovery.restore_override" in audited

    with pytest.raises(RunRefused, match="already restored"):  # repeated: refused by the store
        await wf.runner.restore_snapshot(a.id, user=REVIEWER, override=b.id)
    assert len(await wf.store.recovery_actions(a.id)) == 1


async def test_restore_while_a_run_on_the_same_database_is_active_is_refused(wf) -> None:
    wf.with_target(rehearsal="off")
    await _execute(wf.dev, "ALTER TABLE users ADD COLUMN tenant point NOT NULL")
    a = await _approve_and_wait(wf, await wf.until_review())
    assert a.state is RunState.FAILED
    # Another target name for the very same production database, with a run awaiting review.
    alias = dataclasses.replace(wf.settings.targets["prod"], name="prod-alias")
    wf.settings = dataclasses.replace(
        wf.settings, targets={**wf.settings.targets, "prod-alias": alias}
    )
    wf.runner.settings = wf.settings
    other = await wf.runner.start(target="prod-alias", requested_by="U0ALICE01", via="cli")
    other = await wf.runner.wait(other.id)
    assert other.state is RunState.AWAITING_REVIEW
    before = await _fetch(wf.prod, "SELECT count(*) AS n FROM legacy")
    await _execute(wf.prod, "INSERT INTO legacy VALUES (2, 'written after the snapshot')")

    with pytest.raises(RunRefused, match=f"run {other.id} \\(target 'prod-alias'\\)"):
        await wf.runner.restore_snapshot(a.id, user=ONCALL)

    assert len(await _fetch(wf.prod, "SELECT * FROM legacy")) == before[0]["n"] + 1
    assert await wf.store.recovery_actions(a.id) == []


async def test_two_concurrent_restores_of_one_run_restore_once(wf) -> None:
    wf.with_target(rehearsal="off")
    await _execute(wf.dev, "ALTER TABLE users ADD COLUMN tenant point NOT NULL")
    a = await _approve_and_wait(wf, await wf.until_review())
    assert a.state is RunState.FAILED

    results = await asyncio.gather(
        wf.runner.restore_snapshot(a.id, user=ONCALL),
        wf.runner.restore_snapshot(a.id, user=REVIEWER),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, RunRefused)]
    done = [r for r in results if isinstance(r, Run)]
    assert len(done) == 1 and len(refused) == 1, results
    assert "already restored" in refused[0].message or "another restore" in refused[0].message
    actions = await wf.store.recovery_actions(a.id)
    assert [x.action for x in actions] == ["restored_snapshot"]
    assert not (actions[0].note or "").startswith("restore FAILED")


async def test_restore_of_a_run_that_did_not_fail_is_refused(wf) -> None:
    wf.with_target(rehearsal="off")
    done = await _approve_and_wait(wf, await wf.until_review())
    assert done.state is RunState.DONE
    with pytest.raises(RunRefused, match="only a failed or interrupted run"):
        await wf.runner.restore_snapshot(done.id, user=ONCALL)
    # nothing was restored: the done run's index is still there
    assert len(await _fetch(wf.prod, "SELECT 1 FROM pg_class WHERE relname = 'users_email_idx'"))


async def test_rolled_back_apply_is_recorded_as_production_unchanged(wf) -> None:
    wf.with_target(rehearsal="off")
    await _execute(wf.dev, "ALTER TABLE users ADD COLUMN tenant point NOT NULL")
    a = await _approve_and_wait(wf, await wf.until_review())
    steps = await wf.store.steps(a.id)
    assert restore_rules.production_after(a, steps) == restore_rules.UNCHANGED
    check = await wf.runner.restore_check(a.id)
    assert check.production == restore_rules.UNCHANGED and check.later == ()

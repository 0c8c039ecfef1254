from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.errors import PlanDrift, RunRefused
from bot.schema.fingerprint import schema_fingerprint
from bot.schema.introspect import fetch_schema
from bot.workflow.run import RunState
from tests.builders import decide


async def _fingerprint(url: str) -> str:
    return schema_fingerprint(await fetch_schema(url))


async def test_runner_full_run_applies_reviewed_sql_and_is_in_sync(wf) -> None:
    run = await wf.until_review()
    assert run.state is RunState.AWAITING_REVIEW
    assert run.data["review"]["verdict"] == "DESTRUCTIVE"
    assert run.data["review"]["destructive"]["DROP TABLE"] == ["public.legacy"]
    assert run.data["snapshot"]["provider"] == "pg_dump" and run.snapshot_id
    assert run.data["rehearsal"]["status"] == "passed"
    done = await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    assert done.run.state is RunState.APPLYING
    final = await wf.runner.wait(run.id)
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    assert final.data["apply"]["sha256_applied"] == run.sql_sha256
    assert final.data["apply"]["statements_applied"] == final.data["apply"]["statements_total"] > 0
    assert await _fingerprint(wf.prod) == await _fingerprint(wf.dev)
    report = wf.runner.run_dir(run.id) / f"{run.id}.md"
    assert "**Final Status:** IN SYNC" in report.read_text()
    steps = [s.name for s in await wf.store.steps(run.id)]
    assert steps == [
        "snapshot",
        "dev_sync",
        "diff",
        "rehearsal",
        "apply",
        "verify",
        "health_checks",
        "related_changes",
    ]


async def test_runner_no_changes_skips_review_and_apply(wf) -> None:
    await wf.prod_execute(
        "DROP TABLE legacy; ALTER TABLE users ADD COLUMN verified boolean "
        "NOT NULL DEFAULT false; CREATE INDEX users_email_idx ON users (email)"
    )
    run = await wf.until_review()
    assert run.state is RunState.DONE and run.outcome == "IN SYNC"
    names = {s.name: s.status for s in await wf.store.steps(run.id)}
    assert "apply" not in names and names["rehearsal"] == "skipped"


async def test_runner_failing_statement_rolls_back_and_production_is_unchanged(wf) -> None:
    wf.with_target(rehearsal="off")
    # A NOT NULL column without default, of a type with no fill value (bot/schema/fill.py),
    # on a table with rows fails at apply, after earlier statements of the same transaction
    # succeeded.
    conn = await asyncpg.connect(wf.dev)
    await conn.execute("ALTER TABLE users ADD COLUMN tenant point NOT NULL")
    await conn.close()
    before = await _fingerprint(wf.prod)
    run = await wf.until_review()
    await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    final = await wf.runner.wait(run.id)
    assert final.state is RunState.FAILED
    apply = final.data["apply"]
    assert "tenant" in apply["failed_statement"] and apply["failed_statement_index"] >= 2
    assert "contains null values" in apply["error"]
    assert await _fingerprint(wf.prod) == before  # the whole transaction rolled back


async def test_runner_failed_rehearsal_blocks_approval(wf) -> None:
    conn = await asyncpg.connect(wf.dev)
    await conn.execute("ALTER TABLE users ADD COLUMN tenant point NOT NULL")  # no fill value
    await conn.close()
    run = await wf.until_review()
    assert run.data["rehearsal"]["status"] == "failed"
    with pytest.raises(RunRefused, match="rehearsal failed"):
        await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    assert (await wf.store.get_run(run.id)).state is RunState.AWAITING_REVIEW


async def test_runner_production_changed_after_review_refuses_and_rediffs(wf) -> None:
    run = await wf.until_review()
    await wf.prod_execute("CREATE TABLE surprise (id int)")
    with pytest.raises(PlanDrift, match="production's schema changed"):
        await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    again = await wf.runner.wait(run.id)
    assert again.state is RunState.AWAITING_REVIEW
    assert again.sql_sha256 != run.sql_sha256 and "surprise" in again.sql_text
    assert not [s for s in await wf.store.steps(run.id) if s.name == "apply"]


async def test_runner_sql_file_edited_after_review_changes_nothing_applied(wf) -> None:
    run = await wf.until_review()
    path = wf.runner.context(run).sql_path
    path.write_text(path.read_text() + "\nDROP TABLE users;\n")
    await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    final = await wf.runner.wait(run.id)
    assert final.state is RunState.DONE, final.error
    assert final.data["apply"]["sha256_applied"] == run.sql_sha256
    conn = await asyncpg.connect(wf.prod)
    try:  # the reviewed bytes came from the store: the edited file was never read
        assert await conn.fetchval("SELECT count(*) FROM users") == 50
    finally:
        await conn.close()


async def test_runner_expired_review_is_refused(wf) -> None:
    run = await wf.until_review()
    wf.clock.advance(hours=3)
    with pytest.raises(PlanDrift, match="review window of this plan expired"):
        await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    await wf.runner.wait(run.id)


async def test_runner_four_eyes_and_double_approval(wf) -> None:
    run = await wf.until_review()
    with pytest.raises(RunRefused, match="four-eyes"):
        await decide(wf.runner, run, decision="approved", user="U0ALICE01")
    results = await asyncio.gather(
        decide(wf.runner, run, decision="approved", user="U0BOB0002"),
        decide(wf.runner, run, decision="approved", user="U0CAROL03"),
        return_exceptions=True,
    )
    await wf.runner.wait(run.id)
    applies = [s for s in await wf.store.steps(run.id) if s.name == "apply"]
    assert len(applies) == 1
    assert any(not isinstance(r, Exception) for r in results)


async def test_runner_second_run_on_busy_target_names_the_holder(wf) -> None:
    run = await wf.until_review()
    with pytest.raises(RunRefused, match=f"busy: run {run.id} requested by <@U0ALICE01>"):
        await wf.runner.start(target="prod", requested_by="U0BOB0002", via="cli")


async def test_runner_reject_needs_reason_and_defer_then_resume(wf) -> None:
    run = await wf.until_review()
    with pytest.raises(RunRefused, match="needs a reason"):
        await decide(wf.runner, run, decision="rejected", user="U0BOB0002", reason=" ")
    deferred = await decide(
        wf.runner, run, decision="deferred", user="U0BOB0002", reason="after the release"
    )
    assert deferred.run.state is RunState.DEFERRED
    await wf.runner.resume(run.id, user="U0BOB0002")
    resumed = await wf.runner.wait(run.id)
    assert resumed.state is RunState.AWAITING_REVIEW
    assert resumed.plan_id != run.plan_id  # a resumed run is re-diffed into a new plan
    rejected = await decide(
        wf.runner, resumed, decision="rejected", user="U0BOB0002", reason="too risky today"
    )
    assert rejected.run.state is RunState.REJECTED
    decisions = [(d.decision, d.reason) for d in await wf.store.decisions(run.id)]
    assert decisions == [("deferred", "after the release"), ("rejected", "too risky today")]
    report = (wf.runner.run_dir(run.id) / f"{run.id}.md").read_text()
    assert "REJECTED" in report


async def test_runner_snapshot_failure_means_apply_never_starts(wf, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    wf.with_target(pg_dump_dir=blocker / "dumps")
    run = await wf.until_review()
    assert run.state is RunState.FAILED
    names = [s.name for s in await wf.store.steps(run.id)]
    assert names == ["snapshot"] and "snapshot" in run.error


async def test_runner_crash_during_apply_is_interrupted_verified_never_reapplied(wf) -> None:
    run = await wf.until_review()
    # The process "dies" right after the approval moved the run to applying.
    moved = await wf.store.transition(
        run.id, from_states=[RunState.AWAITING_REVIEW], to_state=RunState.APPLYING
    )
    assert moved is not None
    resolved = await wf.runner.recover(quiet_s=0)
    assert [r.id for r in resolved] == [run.id]
    final = await wf.store.get_run(run.id)
    assert final.state is RunState.INTERRUPTED
    assert final.data["verify"]["in_sync"] is False and final.outcome == "OUT OF SYNC"
    assert not [s for s in await wf.store.steps(run.id) if s.name == "apply"]
    assert "was NOT re-run" in " ".join(final.data["notes"])


async def test_runner_cancel_before_apply(wf) -> None:
    run = await wf.until_review()
    cancelled = await wf.runner.cancel(run.id, user="U0ALICE01")
    assert cancelled.state is RunState.CANCELLED
    with pytest.raises(RunRefused, match="not awaiting review"):
        await decide(wf.runner, run, decision="approved", user="U0BOB0002")


async def test_runner_recover_leaves_runs_driven_by_a_live_process_alone(wf) -> None:
    run = await wf.until_review()
    await wf.store.transition(
        run.id, from_states=[RunState.AWAITING_REVIEW], to_state=RunState.APPLYING
    )
    await wf.store.claim_run(run.id, "other-host:4242:abcdef")  # alive: fresh heartbeat
    assert await wf.runner.recover() == []
    assert (await wf.store.get_run(run.id)).state is RunState.APPLYING


async def test_runner_orphan_sweep_resolves_a_run_whose_driver_went_quiet(wf) -> None:
    run = await wf.until_review()
    await wf.store.transition(
        run.id, from_states=[RunState.AWAITING_REVIEW], to_state=RunState.APPLYING
    )
    await wf.store.claim_run(run.id, "dead-host:1:abcdef")
    conn = await asyncpg.connect(wf.settings.state_url.value)
    await conn.execute("UPDATE align_run SET heartbeat_at = now() - interval '5 minutes'")
    await conn.close()
    sweep = asyncio.create_task(wf.runner.sweep_orphans(every_s=0.05))
    try:
        async with asyncio.timeout(30):
            while (await wf.store.get_run(run.id)).state is RunState.APPLYING:
                await asyncio.sleep(0.05)
    finally:
        sweep.cancel()
    assert (await wf.store.get_run(run.id)).state is RunState.INTERRUPTED


async def test_builtin_run_with_a_difference_align_cannot_plan_is_not_verified(wf) -> None:
    """Everything align can see matches, but the desired database holds an object of a kind it
    cannot plan: the run must not say IN SYNC."""
    await wf.prod_execute(
        "DROP TABLE legacy; ALTER TABLE users ADD COLUMN verified boolean NOT NULL DEFAULT false;"
        "CREATE INDEX users_email_idx ON users (email);"
    )
    conn = await asyncpg.connect(wf.dev)
    try:
        await conn.execute(
            "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi)"
        )
    finally:
        await conn.close()
    run = await wf.until_review()
    assert run.state is RunState.DONE
    assert run.outcome == "NOT VERIFIED"
    assert run.data["verify"]["in_sync"] is None
    assert "range type public.floatrange (only in TO)" in run.data["verify"]["note"]


async def test_runner_fill_value_reaches_the_review_with_rows_filled(wf) -> None:
    wf.with_target(rehearsal="off")
    conn = await asyncpg.connect(wf.dev)
    await conn.execute("ALTER TABLE users ADD COLUMN tenant int NOT NULL")
    await conn.close()
    run = await wf.until_review()
    notes = run.data["diff"]["notes"]
    assert [(n["code"], n["object"], n["value"]) for n in notes] == [
        ("FILL_VALUE", "public.users.tenant", "0")
    ]
    findings = [f for f in run.data["review"]["findings"] if f["code"] == "FILL_EXISTING_ROWS"]
    assert len(findings) == 1 and "fill value 0" in findings[0]["message"]
    fills = [i for i in run.data["review"]["impact"] if i["kind"] == "fills"]
    assert len(fills) == 1 and fills[0]["count"] > 0, run.data["review"]["impact"]
    assert f"{fills[0]['count']} rows get the fill value 0" in fills[0]["text"]

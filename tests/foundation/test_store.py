from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.errors import RunRefused
from bot.store import Store
from bot.store.migrate import apply_migrations, migration_files
from bot.workflow.run import RunState


async def test_store_migrations_run_twice_concurrently_give_one_schema(make_db) -> None:
    url = await make_db()
    conns = [await asyncpg.connect(url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(apply_migrations(c) for c in conns))
        versions = [v for v, _, _ in migration_files()]
        assert sorted(results, key=len) == [[], versions]  # exactly one of them applied each
        rows = await conns[0].fetch("SELECT version FROM align_schema_version ORDER BY 1")
        assert [r["version"] for r in rows] == versions
        assert await apply_migrations(conns[0]) == []  # idempotent
    finally:
        for c in conns:
            await c.close()


@pytest.fixture
async def store(make_db):
    s = await Store.open(await make_db())
    yield s
    await s.close()


async def test_store_one_active_run_per_target_names_the_holder(store: Store) -> None:
    first = await store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="slack"
    )
    with pytest.raises(RunRefused, match=rf"busy: run {first.id} requested by <@U0ALICE01>"):
        await store.create_run(
            target="prod", mode="builtin", requested_by="U0BOB0002", requested_via="slack"
        )
    other = await store.create_run(
        target="staging", mode="builtin", requested_by="U0BOB0002", requested_via="cli"
    )
    assert other.state is RunState.REQUESTED
    done = await store.transition(
        first.id, from_states=[RunState.REQUESTED], to_state=RunState.CANCELLED
    )
    assert done is not None and done.finished_at is not None
    again = await store.create_run(
        target="prod", mode="builtin", requested_by="U0BOB0002", requested_via="slack"
    )
    assert again.id != first.id


async def test_store_transition_is_conditional_so_duplicates_change_nothing(store: Store) -> None:
    run = await store.create_run(
        target="prod", mode="builtin", requested_by="U1", requested_via="cli"
    )
    moved = await store.transition(
        run.id,
        from_states=[RunState.REQUESTED],
        to_state=RunState.PRECONDITIONS,
        git_commit="abc123",
    )
    assert moved is not None and moved.state is RunState.PRECONDITIONS
    assert moved.git_commit == "abc123"
    duplicate = await store.transition(
        run.id, from_states=[RunState.REQUESTED], to_state=RunState.PRECONDITIONS
    )
    assert duplicate is None
    events = [e.action for e in await store.audit_events(run_id=run.id)]
    assert events == ["run.requested", "run.preconditions"]


async def test_store_concurrent_transitions_have_one_winner(store: Store) -> None:
    run = await store.create_run(
        target="prod", mode="builtin", requested_by="U1", requested_via="cli"
    )
    results = await asyncio.gather(
        *(
            store.transition(run.id, from_states=[RunState.REQUESTED], to_state=RunState.CANCELLED)
            for _ in range(8)
        )
    )
    assert sum(r is not None for r in results) == 1


async def test_store_steps_data_decisions_and_recovery(store: Store) -> None:
    run = await store.create_run(
        target="prod", mode="builtin", requested_by="U1", requested_via="cli"
    )
    assert await store.start_step(run.id, "diff") == 1
    await store.finish_step(run.id, "diff", status="failed", exit_code=2, output_tail="boom")
    assert await store.start_step(run.id, "diff") == 2
    await store.finish_step(run.id, "diff", status="succeeded", detail={"n": 3})
    steps = await store.steps(run.id)
    assert [(s.attempt, s.status) for s in steps] == [(1, "failed"), (2, "succeeded")]
    assert steps[1].detail == {"n": 3} and steps[1].duration_s is not None
    await store.update_run(run.id, data={"diff": {"statement_count": 3}})
    updated = await store.update_run(run.id, data={"notes": ["x"]}, sql_sha256="f" * 64)
    assert updated.data == {"diff": {"statement_count": 3}, "notes": ["x"]}
    plan = await store.record_plan(
        run.id, sql_bytes=b"SELECT 1;", sql_sha256="f" * 64, prod_fingerprint="a", verdict="SAFE"
    )
    first = await store.record_decision(
        run.id, decision="approved", user_id="U2", sql_sha256="f" * 64, plan_id=plan.id
    )
    dup = await store.record_decision(
        run.id, decision="approved", user_id="U2", sql_sha256="f" * 64, plan_id=plan.id
    )
    assert first is not None and dup is None
    assert [d.user_id for d in await store.decisions(run.id)] == ["U2"]
    await store.record_recovery(run.id, action="manual_intervention", user_id="U3", note="fixed")
    assert (await store.recovery_actions(run.id))[0].note == "fixed"
    events = await store.audit_events(run_id=run.id)
    assert [e.action for e in events][-2:] == ["decision.approved", "recovery.manual_intervention"]
    assert events[-2].plan_id == plan.id


async def test_store_plans_are_immutable_records_and_a_new_one_supersedes_the_old(
    store: Store,
) -> None:
    run = await store.create_run(
        target="prod", mode="builtin", requested_by="U1", requested_via="cli"
    )
    p1 = await store.record_plan(
        run.id, sql_bytes=b"\xef\xbb\xbfDROP TABLE t;\r\n", sql_sha256="1" * 64,
        prod_fingerprint="fp1", verdict="DESTRUCTIVE", unappliable=["statement 2 (ROLLBACK)"],
    )  # fmt: skip
    assert p1.id == f"{run.id}.p1" and p1.short_id == "p1"
    assert (await store.get_plan(p1.id)).sql_bytes == b"\xef\xbb\xbfDROP TABLE t;\r\n"
    p2 = await store.record_plan(
        run.id, sql_bytes=b"SELECT 1;", sql_sha256="2" * 64, prod_fingerprint="fp2",
        verdict="SAFE", supersede_why="production changed",
    )  # fmt: skip
    old, new = await store.get_plan(p1.id), await store.get_plan(p2.id)
    assert old.superseded_by == p2.id and old.superseded_why == "production changed"
    assert old.unappliable == ("statement 2 (ROLLBACK)",) and not new.is_superseded
    current = await store.get_run(run.id)
    assert current.plan_id == p2.id and current.sql_sha256 == "2" * 64
    # A decision on the old plan can never move the run: the move is conditioned on the plan.
    await store.transition(
        run.id, from_states=[RunState.REQUESTED], to_state=RunState.PRECONDITIONS
    )
    assert (
        await store.transition(
            run.id,
            from_states=[RunState.PRECONDITIONS],
            to_state=RunState.DEV_SYNC,
            require_plan=p1.id,
        )
        is None
    )


async def test_store_one_active_run_per_database_whatever_the_target_is_called(
    store: Store,
) -> None:
    await store.create_run(
        target="prod", mode="builtin", requested_by="U1", requested_via="cli", database_key="7/app"
    )
    with pytest.raises(
        RunRefused, match=r"target 'prod-alias' is busy: run \S+ \(target 'prod', same database\)"
    ):
        await store.create_run(
            target="prod-alias", mode="builtin", requested_by="U2", requested_via="cli",
            database_key="7/app",
        )  # fmt: skip

"""Plans as the unit of review, tried the way an attacker or a fault would: a stale plan id, a
plan that cannot run as one transaction, a snapshot older than the plan, two names for one
database, an apply while another holds the database's lock. Real PostgreSQL throughout."""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest

from bot.config import Secret
from bot.errors import PlanDrift, RunRefused
from bot.workflow.authority import Actor
from bot.workflow.identity import APPLY_LOCK_KEY, database_key
from bot.workflow.run import RunState
from tests.builders import decide

from .test_commands_run import git
from .test_commands_run import make_app as make_app


async def _fetchval(url: str, sql: str):
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_plan_approving_a_superseded_plan_is_refused_and_the_new_plan_is_not_applied(
    wf,
) -> None:
    first = await wf.until_review()
    await wf.prod_execute("CREATE TABLE surprise (id int)")
    with pytest.raises(PlanDrift):  # production moved: the plan is superseded and re-diffed
        await decide(wf.runner, first, decision="approved", user="U0BOB0002")
    second = await wf.runner.wait(first.id)
    assert second.state is RunState.AWAITING_REVIEW and second.plan_id != first.plan_id
    with pytest.raises(RunRefused, match=f"replaced by plan {second.plan_id}"):
        await decide(wf.runner, first, decision="approved", user="U0CAROL03")  # the old card
    assert not [s for s in await wf.store.steps(first.id) if s.name == "apply"]
    assert await _fetchval(wf.prod, "SELECT to_regclass('public.surprise') IS NOT NULL")
    old = await wf.store.get_plan(first.plan_id)
    assert old.superseded_by == second.plan_id and "production" in old.superseded_why
    refused = [e for e in await wf.store.audit_events(run_id=first.id) if "refused" in e.action]
    assert refused and refused[-1].plan_id == first.plan_id and refused[-1].actor == "U0CAROL03"
    assert not [d for d in await wf.store.decisions(first.id) if d.decision == "approved"]


async def test_plan_a_forged_plan_id_is_refused(wf) -> None:
    run = await wf.until_review()
    for forged in (f"{run.id}.p9", "20200101-000000.p1", run.id, "not a plan"):
        with pytest.raises(RunRefused):
            await wf.runner.decide(
                forged,
                decision="approved",
                actor=Actor.slack("U0BOB0002"),
                confirmation="prod",
            )
    assert (await wf.store.get_run(run.id)).state is RunState.AWAITING_REVIEW


async def test_plan_records_exact_bytes_and_facts(wf) -> None:
    run = await wf.until_review()
    plan = await wf.store.get_plan(run.plan_id)
    assert plan.sql_bytes.decode() == run.sql_text and run.sql_sha256 == plan.sql_sha256
    assert plan.snapshot_id == run.snapshot_id
    assert plan.snapshot_fingerprint == plan.prod_fingerprint == run.prod_fingerprint
    assert plan.verdict == "DESTRUCTIVE" and plan.unappliable == ()
    assert plan.expires_at is not None


async def test_plan_resume_after_a_long_deferral_takes_a_fresh_snapshot(wf) -> None:
    run = await wf.until_review()
    await decide(wf.runner, run, decision="deferred", user="U0BOB0002", reason="after lunch")
    wf.clock.advance(hours=2)  # longer than timeouts.snapshot_max_age (15 min)
    await wf.runner.resume(run.id, user="U0BOB0002")
    resumed = await wf.runner.wait(run.id)
    assert resumed.state is RunState.AWAITING_REVIEW
    snapshots = [s for s in await wf.store.steps(run.id) if s.name == "snapshot"]
    assert len(snapshots) == 2 and snapshots[-1].status == "succeeded"
    plan = await wf.store.get_plan(resumed.plan_id)
    assert plan.snapshot_id != run.snapshot_id and plan.snapshot_id == resumed.snapshot_id
    assert plan.snapshot_taken_at == wf.clock.now()
    done = await decide(wf.runner, resumed, decision="approved", user="U0BOB0002")
    assert done.plan.snapshot_id == plan.snapshot_id


async def test_plan_resume_soon_after_deferral_reuses_the_snapshot(wf) -> None:
    run = await wf.until_review()
    await decide(wf.runner, run, decision="deferred", user="U0BOB0002", reason="one minute")
    wf.clock.advance(minutes=1)
    await wf.runner.resume(run.id, user="U0BOB0002")
    resumed = await wf.runner.wait(run.id)
    assert [s.name for s in await wf.store.steps(run.id)].count("snapshot") == 1
    assert (await wf.store.get_plan(resumed.plan_id)).snapshot_id == run.snapshot_id


async def test_plan_two_target_names_for_one_database_exclude_each_other(wf) -> None:
    alias_url = wf.prod.replace("127.0.0.1", "localhost")
    assert alias_url != wf.prod
    assert await database_key(alias_url) == await database_key(wf.prod)
    alias = dataclasses.replace(
        wf.settings.targets["prod"], name="prod-alias", database_url=Secret(alias_url)
    )
    wf.settings = dataclasses.replace(
        wf.settings, targets={"prod": wf.settings.targets["prod"], "prod-alias": alias}
    )
    wf.runner.settings = wf.settings
    run = await wf.until_review()
    with pytest.raises(RunRefused, match="same database"):
        await wf.runner.start(target="prod-alias", requested_by="U0BOB0002", via="cli")
    assert run.database_key == await database_key(wf.prod)


async def test_plan_builtin_apply_waits_for_no_one_holding_the_database_lock(wf) -> None:
    run = await wf.until_review()
    holder = await asyncpg.connect(wf.prod.replace("127.0.0.1", "localhost"))  # another alias
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", APPLY_LOCK_KEY)
        await decide(wf.runner, run, decision="approved", user="U0BOB0002")
        final = await wf.runner.wait(run.id)
    finally:
        await holder.close()
    assert final.state is RunState.FAILED and "holds its lock; nothing was run" in final.error
    assert await _fetchval(wf.prod, "SELECT to_regclass('public.legacy') IS NOT NULL")


# ----------------------------------------------------------------------------- commands mode
async def _app_with_plan(make_app, sql: str, *, extra: str = ""):
    """A checkout whose diff command writes ``sql`` (bytes as given) as the plan."""
    runner, repo = await make_app(extra=extra)
    (repo / "plan.sql").write_bytes(sql.encode("utf-8") if isinstance(sql, str) else sql)
    (repo / "scripts" / "diff.sh").write_text(
        "#!/bin/sh\nset -e\ncp plan.sql prisma_prod_align.sql\n"
    )
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "add", ".")
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "commit", "-qm", "fixed plan")
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    return runner, repo, run


ADD_VERIFIED = "ALTER TABLE users ADD COLUMN verified boolean NOT NULL DEFAULT false;\n"
ADD_INDEX = "CREATE INDEX users_email_idx ON users (email);\n"


async def test_plan_bare_begin_commit_forms_are_folded_into_the_one_transaction(make_app) -> None:
    sql = f"BEGIN;\n{ADD_VERIFIED}COMMIT WORK;\nSTART TRANSACTION;\n{ADD_INDEX}END TRANSACTION;\n"
    runner, _repo, run = await _app_with_plan(make_app, sql)
    assert run.state is RunState.AWAITING_REVIEW, run.error
    assert run.data["review"]["folded"] == [1, 3, 4, 6] and not run.data["review"]["unappliable"]
    await decide(runner, run, decision="approved", user="U0BOB0002")
    final = await runner.wait(run.id)
    assert final.state is RunState.DONE, final.error  # (production keeps its extra table)
    url = runner.settings.targets["app"].database_url.value
    assert await _fetchval(url, "SELECT to_regclass('public.users_email_idx') IS NOT NULL")
    assert final.data["apply"]["folded_statements"] == [1, 3, 4, 6]
    assert final.data["apply"]["statements_applied"] == 2


@pytest.mark.parametrize(
    "control",
    ["COMMIT AND CHAIN", "ROLLBACK", "SAVEPOINT s", "PREPARE TRANSACTION 'x'",
     "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET statement_timeout = 0", "\\set x 1"],
)  # fmt: skip
async def test_plan_other_transaction_control_makes_the_plan_unappliable(
    make_app, control: str
) -> None:
    end = "" if control.startswith("\\") else ";"
    runner, _repo, run = await _app_with_plan(
        make_app, f"{ADD_VERIFIED}{control}{end}\n{ADD_INDEX}"
    )
    assert run.state is RunState.AWAITING_REVIEW, run.error
    assert run.data["review"]["unappliable"]
    with pytest.raises(RunRefused, match="this plan cannot be applied"):
        await decide(runner, run, decision="approved", user="U0BOB0002")
    url = runner.settings.targets["app"].database_url.value
    assert not await _fetchval(
        url, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'verified'"
    )


async def test_plan_a_nul_byte_fails_the_diff_and_nothing_reaches_review(make_app) -> None:
    _runner, _repo, run = await _app_with_plan(make_app, b"SELECT 1; \0 DROP TABLE users;\n")
    assert run.state is RunState.FAILED and "not SQL text: NUL byte" in run.error
    assert run.plan_id is None


async def test_plan_a_leading_bom_is_stripped_and_the_drop_is_seen(make_app) -> None:
    runner, _repo, run = await _app_with_plan(make_app, b"\xef\xbb\xbfDROP TABLE users;\n")
    assert run.data["review"]["verdict"] == "DESTRUCTIVE"
    assert any("BOM" in n or "byte order mark" in n for n in run.data["review"]["notes"])
    plan = await runner.store.get_plan(run.plan_id)
    assert plan.sql_bytes.startswith(b"\xef\xbb\xbf")  # the bytes, exactly as written


async def test_plan_configured_apply_command_holds_the_database_lock(make_app) -> None:
    runner, repo, run = await _app_with_plan(
        make_app, ADD_VERIFIED + ADD_INDEX, extra='apply = "sh scripts/apply.sh"'
    )
    (repo / "scripts" / "apply.sh").write_text("#!/bin/sh\ntouch ../apply-ran\n")
    url = runner.settings.targets["app"].database_url.value
    holder = await asyncpg.connect(url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", APPLY_LOCK_KEY)
        await decide(runner, run, decision="approved", user="U0BOB0002")
        final = await runner.wait(run.id)
    finally:
        await holder.close()
    assert final.state is RunState.FAILED and "holds its lock" in final.error
    assert not (repo.parent / "apply-ran").exists()

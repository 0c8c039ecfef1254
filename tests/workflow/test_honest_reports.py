"""Reports tell what production has, and every run that ends has its report (issue 12).

Each test is the fault it survives, on real PostgreSQL: an apply command that stops half-way, a
statement that fails inside the transaction, the apply's backend terminated while COMMIT waits
on a deferred trigger, runs ending without apply, and a report written onto a full disk.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.config import load_settings
from bot.slack import ids
from bot.snapshots.pgtools import PgConn
from bot.store import Run, Store
from bot.tasks import TaskSupervisor
from bot.workflow.run import RunState
from bot.workflow.runner import Runner
from tests.builders import decide
from tests.slack.flow import block_text
from tests.slack.flow import make_flow as make_flow

from .conftest import DEV, PROD, Env


def _report(runner: Runner, run: Run) -> str:
    return (runner.run_dir(run.id) / f"{run.id}.md").read_text()


def _events(env: Env, run_id: str) -> list[str]:
    return [event for rid, event in env.events if rid == run_id]


async def _fingerprint(url: str) -> str:
    from bot.schema.fingerprint import schema_fingerprint
    from bot.schema.introspect import fetch_schema

    return schema_fingerprint(await fetch_schema(url))


# --------------------------------------------------------------------------- built-in apply
async def test_honest_builtin_apply_failing_at_statement_3_reports_production_unchanged(
    wf: Env,
) -> None:
    # The fault: the third statement (a NOT NULL column without default on a table with rows)
    # fails after two statements of the same transaction succeeded.
    wf.with_target(rehearsal="off")
    conn = await asyncpg.connect(wf.dev)
    await conn.execute("ALTER TABLE users ADD COLUMN tenant point NOT NULL")
    await conn.close()
    before = await _fingerprint(wf.prod)
    run = await wf.until_review()
    await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    final = await wf.runner.wait(run.id)

    assert final.state is RunState.FAILED
    apply = final.data["apply"]
    assert apply["failed_statement_index"] == 3
    assert apply["statements_applied"] == 0  # the two that ran were rolled back with it
    assert apply["transaction"] == "rolled back"
    assert apply["production"] == "unchanged", apply["production_detail"]
    assert "rolled back" in apply["production_detail"]
    assert await _fingerprint(wf.prod) == before
    report = _report(wf.runner, final)
    assert "failed at statement 3; the transaction was rolled back" in report
    assert "**Production after the failure:** UNCHANGED" in report
    assert "production UNCHANGED" in report  # the report status line
    assert "None needed: the apply failed, and production was re-verified unchanged" in report
    assert "report" in _events(wf, run.id)


# Production has an audit trail written by an event trigger; a deferred constraint trigger on the
# audit table runs at COMMIT (and, here, takes its time): the window in which the apply's
# connection is lost with COMMIT in flight.
SLOW_COMMIT = """
CREATE SCHEMA audit;
CREATE TABLE audit.ddl_log (id serial PRIMARY KEY, tag text);
CREATE FUNCTION audit.slow_commit() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN PERFORM pg_sleep(120); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON audit.ddl_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit.slow_commit();
CREATE FUNCTION audit.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO audit.ddl_log (tag) VALUES (tg_tag); END $$;
CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION audit.log_ddl();
"""


async def _wait_for(predicate, *, timeout: float = 60.0, every: float = 0.1) -> Any:
    async with asyncio.timeout(timeout):
        while not (value := await predicate()):
            await asyncio.sleep(every)
    return value


async def test_honest_connection_killed_during_commit_reports_outcome_unknown(wf: Env) -> None:
    wf.with_target(rehearsal="off")
    for url in (wf.prod, wf.dev):  # the same audit objects on both sides: not part of the plan
        conn = await asyncpg.connect(url)
        await conn.execute(SLOW_COMMIT)
        await conn.close()
    run = await wf.until_review()
    assert run.state is RunState.AWAITING_REVIEW, run.error
    await decide(wf.runner, run, decision="approved", user="U0BOB0002")

    watcher = await asyncpg.connect(wf.prod)
    try:

        async def committing() -> int | None:
            return await watcher.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event = 'PgSleep' AND query ILIKE 'COMMIT%'"
            )

        pid = await _wait_for(committing)  # the apply sent COMMIT; the server is still on it
        assert await watcher.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await watcher.close()
    final = await wf.runner.wait(run.id)

    assert final.state is RunState.FAILED
    assert "outcome of COMMIT is unknown" in final.error
    assert "rolled back" not in final.error
    apply = final.data["apply"]
    assert apply["transaction"] == "unknown"
    assert apply["production"] == "unknown", apply["production_detail"]
    assert "outcome of COMMIT is unknown" in apply["production_detail"]
    report = _report(wf.runner, final)
    assert "outcome of COMMIT is unknown" in report
    assert "**Production after the failure:** UNKNOWN" in report
    assert "rolled back" not in report


# --------------------------------------------------------------------------- configured command
APP_CONFIG = """
[bot]
data_dir = "{data}"
[access]
reviewers = ["U0BOB0002"]
[targets.app]
database_url = "{prod}"
desired_url = "{dev}"
mode = "commands"
snapshot = "pg_dump"
rehearsal = "off"
[targets.app.commands]
checkout = "{repo}"
branch = "dev"
dev_sync = "sh scripts/dev-sync.sh"
diff = "sh scripts/diff.sh"
apply = "sh scripts/apply.sh"
verify = "sh scripts/verify.sh"
[targets.app.commands.env]
PROD_URL = "{prod_tool}"
DEV_URL = "{dev_tool}"
PGPASSWORD = "${{TEST_PGPASSWORD}}"
PATH = "{path}"
"""
ALIGN = f"{sys.executable} -m bot"
SCRIPTS = {
    "dev-sync.sh": "echo synced",
    "diff.sh": f'{ALIGN} diff --from "$PROD_URL" --to "$DEV_URL" > prisma_prod_align.sql',
    "verify.sh": f'{ALIGN} diff --from "$PROD_URL" --to "$DEV_URL" --exit-code >/dev/null',
    # Half the plan, outside any transaction, then a crash: what a runbook script does when
    # its second psql call fails.
    "apply.sh": 'psql -q -v ON_ERROR_STOP=1 "$PROD_URL" -c "DROP TABLE public.legacy"\n'
    "echo 'lost the connection' >&2\nexit 1",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=a@x", "-c", "user.name=Ann", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
async def app(make_db, tmp_path: Path):
    if not shutil.which("psql"):
        pytest.skip("psql client not installed")
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    repo = tmp_path / "app"
    (repo / "scripts").mkdir(parents=True)
    for name, body in SCRIPTS.items():
        (repo / "scripts" / name).write_text(f"#!/bin/sh\n{body}\n")
    (repo / ".gitignore").write_text("prisma_prod_align.sql\n")
    _git(repo, "init", "-q", "-b", "dev")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "runbook")
    cfg = tmp_path / "align.toml"
    cfg.write_text(
        APP_CONFIG.format(
            data=tmp_path / "data",
            prod=prod,
            dev=dev,
            prod_tool=PgConn(prod).tool_url,
            dev_tool=PgConn(dev).tool_url,
            repo=repo,
            path=os.environ["PATH"],
        )
    )
    store = await Store.open(state)
    supervisor = TaskSupervisor()
    settings = load_settings(cfg, {"TEST_PGPASSWORD": PgConn(prod).password or ""})
    yield Runner(settings=settings, store=store, supervisor=supervisor)
    await supervisor.close()
    await store.close()


async def test_honest_apply_command_failing_half_way_reports_partially_changed(app) -> None:
    runner: Runner = app
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    assert run.state is RunState.AWAITING_REVIEW, run.error
    await decide(runner, run, decision="approved", user="U0BOB0002")
    final = await runner.wait(run.id)

    assert final.state is RunState.FAILED and "exit 1" in final.error
    apply = final.data["apply"]
    assert "transaction" not in apply  # a command's transaction is its own: nothing claimed
    assert apply["production"] == "partially changed", apply["production_detail"]
    detail = apply["production_detail"]
    assert "2 statements still needed" in detail
    assert "ADD COLUMN verified" in detail and "users_email_idx" in detail
    assert "legacy" not in detail  # what the command did apply is not "remaining"
    assert final.outcome == "OUT OF SYNC"
    report = _report(runner, final)
    assert "rolled back" not in report
    assert "**Production after the failure:** PARTIALLY CHANGED" in report
    assert "Part of the plan took effect before apply failed" in report
    assert "users_email_idx" in report.split("### 6. Verification")[1]  # remaining, shown


# --------------------------------------------------------------------------- every end reported
async def test_honest_failed_rejected_and_cancelled_runs_each_have_a_report(wf: Env) -> None:
    # failed before review: the desired database does not exist
    from bot.config import Secret

    real_dev = wf.dev
    wf.with_target(desired_url=Secret(real_dev.rsplit("/", 1)[0] + "/no_such_database"))
    failed = await wf.until_review()
    assert failed.state is RunState.FAILED
    wf.with_target(desired_url=Secret(real_dev))

    rejected = await wf.until_review()
    await decide(wf.runner, rejected, decision="rejected", user="U0BOB0002", reason="not now")
    rejected = await wf.runner.wait(rejected.id)
    assert rejected.state is RunState.REJECTED

    cancelled = await wf.until_review()
    cancelled = await wf.runner.cancel(cancelled.id, user="U0ALICE01")
    assert cancelled.state is RunState.CANCELLED

    for run, status in (
        (failed, "INCOMPLETE — run failed"),
        (rejected, "INCOMPLETE — run rejected"),
        (cancelled, "INCOMPLETE — run cancelled"),
    ):
        assert status in _report(wf.runner, run), run.state
        assert "report" in _events(wf, run.id), run.state
        assert "report_failed" not in _events(wf, run.id)


# --------------------------------------------------------------------------- report write fails
def _mount_tmpfs(path: Path) -> bool:
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(path)],
        capture_output=True,
    )
    return result.returncode == 0


def _fill(path: Path) -> None:
    with open(path / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == 28  # ENOSPC: the disk is full


async def _approve_and_finish(wf: Env, run: Run) -> Run:
    await decide(wf.runner, run, decision="approved", user="U0BOB0002")
    return await wf.runner.wait(run.id)


def _assert_report_failure_recorded(wf: Env, final: Run, words: str) -> None:
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    events = _events(wf, final.id)
    assert "report_failed" in events and "finished" in events
    assert events.index("report_failed") < events.index("finished")
    assert "report" not in events  # no report event for a file that was not written
    assert words in final.data["report_error"]["reason"]
    assert final.data["report_error"]["stage"] == "write"


async def test_honest_report_onto_full_disk_still_finishes_and_says_so(wf: Env) -> None:
    run = await wf.until_review()
    folder = wf.runner.run_dir(run.id)
    if not _mount_tmpfs(folder):
        pytest.skip("cannot mount a tmpfs here (not root); see the not-a-directory variant")
    try:
        _fill(folder)
        final = await _approve_and_finish(wf, run)
        _assert_report_failure_recorded(wf, final, "No space left on device")
        assert not (folder / f"{run.id}.md").exists()  # no 0-byte report left behind
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        audit = [
            e for e in await wf.store.audit_events(run_id=run.id) if e.action == "report.failed"
        ]
        assert len(audit) == 1 and "No space left" in audit[0].detail["reason"]
    finally:
        subprocess.run(["umount", str(folder)], check=False)


async def test_honest_report_folder_not_writable_is_recorded_and_run_finishes(wf: Env) -> None:
    # Works without root: the run folder's path is taken by a regular file.
    run = await wf.until_review()
    folder = wf.runner.run_dir(run.id)
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    final = await _approve_and_finish(wf, run)
    _assert_report_failure_recorded(wf, final, "writing the report failed")
    audit = [e for e in await wf.store.audit_events(run_id=run.id) if e.action == "report.failed"]
    assert len(audit) == 1
    # Once the folder is usable again, the report is written and the error is cleared.
    folder.unlink()
    assert await wf.runner.write_report(final) is not None
    again = await wf.store.get_run(run.id)
    assert not again.data.get("report_error")
    assert _events(wf, run.id)[-1] == "report"


async def test_honest_report_failure_is_said_in_the_run_thread_on_slack(make_flow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    runner = flow.bundle.deps.runner
    folder = runner.run_dir(run.id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")  # the report has nowhere to go
    await flow.click(ids.ACTION_APPROVE, run.id)
    done = await flow.wait_state(run.id, RunState.DONE)
    await flow.settle()
    notes = [
        block_text(m)
        for m in flow.slack.messages.values()
        if m.get("thread_ts") == done.message_ts and "could not be written" in block_text(m)
    ]
    assert len(notes) == 1 and "writing the report failed" in notes[0]
    uploads = [
        str(c.args.get("filename")) for c in flow.slack.calls_to("files.getUploadURLExternal")
    ]
    assert not [name for name in uploads if name.startswith("align-report-")]

"""Commands mode end to end: a small application checkout in a real git repository whose
runbook scripts are shell scripts calling psql and `align diff`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.config import load_settings
from bot.snapshots.pgtools import PgConn
from bot.store import Store
from bot.tasks import TaskSupervisor
from bot.workflow.run import RunState
from bot.workflow.runner import Runner
from tests.builders import decide

from .conftest import DEV, PROD

ALIGN = f"{sys.executable} -m bot"
SCRIPTS = {
    "dev-sync.sh": 'psql -q -v ON_ERROR_STOP=1 "$DEV_URL" -c "SELECT 1" >/dev/null && echo synced',
    "generate.sh": "echo client generated",
    "diff.sh": f'{ALIGN} diff --from "$PROD_URL" --to "$DEV_URL" > prisma_prod_align.sql',
    "verify.sh": f'{ALIGN} diff --from "$PROD_URL" --to "$DEV_URL" --exit-code >/dev/null',
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_checkout(root: Path) -> Path:
    repo = root / "app"
    (repo / "scripts").mkdir(parents=True)
    (repo / "prisma").mkdir()
    for name, body in SCRIPTS.items():
        (repo / "scripts" / name).write_text(f"#!/bin/sh\nset -e\n{body}\n")
    (repo / "prisma" / "schema.prisma").write_text("model User { id Int @id }\n")
    (repo / ".gitignore").write_text("prisma_prod_align.sql\n")
    git(repo, "init", "-q", "-b", "dev")
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "add", ".")
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "commit", "-qm", "schema: users")
    return repo


CONFIG = """
[bot]
data_dir = "{data}"
[access]
reviewers = ["U0BOB0002"]
{timeouts}
[targets.app]
database_url = "{prod}"
mode = "commands"
snapshot = "pg_dump"
rehearsal = "full"
[targets.app.commands]
checkout = "{repo}"
branch = "dev"
dev_sync = "sh scripts/dev-sync.sh"
generate_client = "sh scripts/generate.sh"
diff = "sh scripts/diff.sh"
verify = "sh scripts/verify.sh"
{extra}
[targets.app.commands.env]
PROD_URL = "{prod_no_password}"
DEV_URL = "{dev_no_password}"
PGPASSWORD = "${{TEST_PGPASSWORD}}"
PATH = "{path}"
"""


@pytest.fixture
async def make_app(make_db, tmp_path: Path):
    """``runner, repo = await make_app(extra="apply = ...", timeouts="[timeouts] ...")``."""
    if not shutil.which("psql"):
        pytest.skip("psql client not installed")
    opened: list[tuple[TaskSupervisor, Store]] = []

    async def make(*, extra: str = "", timeouts: str = "") -> tuple[Runner, Path]:
        prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
        repo = make_checkout(tmp_path)
        cfg = tmp_path / "align.toml"
        cfg.write_text(
            CONFIG.format(
                data=tmp_path / "data",
                prod=prod,
                prod_no_password=PgConn(prod).tool_url,  # the scripts' argv shows in `ps`
                dev_no_password=PgConn(dev).tool_url,
                repo=repo,
                path=os.environ["PATH"],
                extra=extra,
                timeouts=timeouts,
            )
        )
        store = await Store.open(state)
        supervisor = TaskSupervisor()
        opened.append((supervisor, store))
        settings = load_settings(cfg, {"TEST_PGPASSWORD": PgConn(prod).password or ""})
        runner = Runner(settings=settings, store=store, supervisor=supervisor)
        return runner, repo

    yield make
    for supervisor, store in opened:
        await supervisor.close()
        await store.close()


@pytest.fixture
async def app(make_app):
    return await make_app()


async def test_commands_run_end_to_end_records_every_runbook_step(app) -> None:
    runner, _repo = app
    run = await runner.start(target="app", requested_by="U0ALICE01", via="cli")
    run = await runner.wait(run.id)
    assert run.state is RunState.AWAITING_REVIEW, run.error
    assert run.data["git"]["branch"] == "dev" and run.data["git"]["clean"] is True
    assert run.git_commit == run.data["git"]["commit"]
    assert run.data["dev_sync"]["synced"] and run.data["dev_sync"]["client_generated"]
    assert run.data["diff"]["sql_file"].endswith("prisma_prod_align.sql")
    await decide(runner, run, decision="approved", user="U0BOB0002")
    final = await runner.wait(run.id)
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    assert final.data["verify"]["command_exit_code"] == 0
    commits = final.data["related"]["commits"]
    assert [c["subject"] for c in commits] == ["schema: users"]
    report = (runner.run_dir(run.id) / f"{run.id}.md").read_text()
    assert "sh scripts/dev-sync.sh" in report


async def test_commands_run_stops_at_preconditions_on_dirty_tree(app) -> None:
    runner, repo = app
    (repo / "prisma" / "schema.prisma").write_text("model User { id Int @id name String }\n")
    run = await runner.start(target="app", requested_by="U0ALICE01", via="cli")
    run = await runner.wait(run.id)
    assert run.state is RunState.FAILED
    assert "working tree" in run.error and "not clean" in run.error
    assert run.data["git"]["dirty_files"] == ["prisma/schema.prisma"]


async def test_commands_run_stops_on_wrong_branch(app) -> None:
    runner, repo = app
    git(repo, "checkout", "-q", "-b", "feature")
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    assert run.state is RunState.FAILED and "on branch 'feature', not 'dev'" in run.error


async def test_commands_run_failing_command_is_recorded(app) -> None:
    runner, repo = app
    (repo / "scripts" / "dev-sync.sh").write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "commit", "-qam", "break sync")
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    assert run.state is RunState.FAILED and "exit 3" in run.error
    step = next(s for s in await runner.store.steps(run.id) if s.name == "dev_sync")
    assert step.status == "failed" and "boom" in step.output_tail


async def test_commands_run_checkout_file_edited_after_review_changes_nothing_applied(app) -> None:
    runner, repo = app
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    sql = repo / "prisma_prod_align.sql"
    sql.write_text(sql.read_text() + "\nDROP TABLE users;\n")
    await decide(runner, run, decision="approved", user="U0BOB0002")
    final = await runner.wait(run.id)
    assert final.data["apply"]["sha256_applied"] == run.sql_sha256
    assert await users_table_exists(runner)


async def users_table_exists(runner) -> bool:
    conn = await asyncpg.connect(runner.settings.targets["app"].database_url.value)
    try:
        return bool(await conn.fetchval("SELECT to_regclass('public.users') IS NOT NULL"))
    finally:
        await conn.close()


APPLY_FROM_PRIVATE_COPY = (
    "#!/bin/sh\nset -e\n{before}"
    'psql -q -v ON_ERROR_STOP=1 "$PROD_URL" -1 -f "$ALIGN_SQL_FILE"\necho applied\n'
)


async def _with_apply_script(make_app, before: str = ""):
    runner, repo = await make_app(extra='apply = "sh scripts/apply.sh"')
    (repo / "scripts" / "apply.sh").write_text(APPLY_FROM_PRIVATE_COPY.format(before=before))
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "add", ".")
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "commit", "-qm", "apply script")
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    await decide(runner, run, decision="approved", user="U0BOB0002")
    return runner, run, await runner.wait(run.id)


async def test_commands_run_configured_apply_command_runs_the_reviewed_bytes(make_app) -> None:
    # The attack: a watcher rewrites the checkout's SQL file while the apply command runs.
    runner, run, final = await _with_apply_script(
        make_app,
        before='echo "DROP TABLE users;" > prisma_prod_align.sql\n'
        'stat -c %a "$ALIGN_SQL_FILE" > ../private-mode\n'
        'stat -c %a "$(dirname "$ALIGN_SQL_FILE")" >> ../private-mode\n',
    )
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    apply = final.data["apply"]
    assert apply["command"] == "sh scripts/apply.sh" and apply["exit_code"] == 0
    assert apply["sha256_applied"] == apply["sha256_reviewed"] == run.sql_sha256
    assert await users_table_exists(runner)
    repo = runner.settings.targets["app"].commands.checkout
    assert (repo.parent / "private-mode").read_text().split() == ["400", "700"]


async def test_commands_run_apply_command_that_alters_its_copy_is_not_certified(make_app) -> None:
    _runner, run, final = await _with_apply_script(
        make_app, before='chmod u+w "$ALIGN_SQL_FILE"\necho "-- extra" >> "$ALIGN_SQL_FILE"\n'
    )
    assert final.state is RunState.FAILED
    apply = final.data["apply"]
    assert apply["sha256_applied"] != apply["sha256_reviewed"] == run.sql_sha256
    assert "was changed while the command ran" in final.error
    assert "in_sync" in apply["verify"]  # production was looked at after the command


async def test_commands_run_step_timeout_kills_the_whole_process_group(make_app) -> None:
    runner, repo = await make_app(timeouts='[timeouts]\ncommand = "1s"')
    marker = repo.parent / "child.pid"
    (repo / "scripts" / "dev-sync.sh").write_text(
        f"#!/bin/sh\nsleep 60 &\necho $! > {marker}\nwait\n"
    )
    git(repo, "-c", "user.email=a@x", "-c", "user.name=Ann", "commit", "-qam", "slow sync")
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    assert run.state is RunState.FAILED and "timed out" in run.error
    from bot.pgcluster import process_alive

    assert not process_alive(int(marker.read_text()))  # the grandchild died with its group

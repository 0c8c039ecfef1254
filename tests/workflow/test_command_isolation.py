"""Runbook commands do not hold the bot's keys, and nothing they start outlives their step
(DESIGN invariant 12), through real commands-mode runs on real PostgreSQL.

The attack in the issue: a committed ``scripts/dev-sync.sh`` read the bot's environment, left a
child behind, and that child forged a signed approval with ``SLACK_SIGNING_SECRET``. Here every
runbook script (and a health check) dumps the environment it really got, and leaves processes
behind that a test finds by a unique marker in ``/proc/*/cmdline``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from bot.config import CommandsSettings, HealthCheck, Secret, Target, load_settings
from bot.errors import CommandError
from bot.secrets import Masker
from bot.store import Store
from bot.tasks import TaskSupervisor
from bot.workflow.command_env import runbook_env
from bot.workflow.health import run_health_checks
from bot.workflow.run import RunState
from bot.workflow.runner import Runner
from tests.builders import decide

from .conftest import DEV, PROD

PY = sys.executable
STATE_PASSWORD = "St4te-store-only-pw"
BOT_SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-leakedbottoken",
    "SLACK_SIGNING_SECRET": "8f1c0ffee5ecre7signing5ecret",
    "SLACK_APP_TOKEN": "xapp-1-A111-leakedapptoken",
    "NEON_API_KEY": "neon-api-key-leaked-0123456789",
    "OTHER_PROD_URL": "postgresql://other:0therTargetPw@127.0.0.1:1/other_prod",
}
DUMP_ENV = (
    f"{PY} -c 'import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], \"w\"))' "
    '"$DUMPS/$ALIGN_STEP.json"'
)
DAEMON = (
    "import os, sys, time\n"
    "if os.fork(): os._exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): os._exit(0)\n"
    "fd = os.open(os.devnull, os.O_RDWR)\n"
    "for n in (0, 1, 2): os.dup2(fd, n)\n"
    "time.sleep(300)\n"
)
LEAVE_BEHIND = (
    f"setsid {PY} -c 'import time; time.sleep(300)' \"$MARKER-$ALIGN_STEP-setsid\" &\n"
    f'{PY} -c "$DAEMON" "$MARKER-$ALIGN_STEP-daemon"\n'
)
ALIGN = f"{PY} -m bot"
SCRIPTS = {
    "dev-sync.sh": 'psql -q -v ON_ERROR_STOP=1 "$DEV_URL" -c "SELECT 1" >/dev/null && echo synced',
    "generate.sh": "echo client generated",
    "diff.sh": f'{ALIGN} diff --from "$PROD_URL" --to "$DEV_URL" > prisma_prod_align.sql',
    "apply.sh": 'psql -q -v ON_ERROR_STOP=1 "$PROD_URL" -1 '
    '-f "${ALIGN_SQL_FILE:-prisma_prod_align.sql}"',
    "verify.sh": f'{ALIGN} diff --from "$PROD_URL" --to "$DEV_URL" --exit-code >/dev/null',
}
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
rehearsal = "off"
[targets.app.commands]
checkout = "{repo}"
branch = "dev"
dev_sync = "sh scripts/dev-sync.sh"
generate_client = "sh scripts/generate.sh"
diff = "sh scripts/diff.sh"
apply = "sh scripts/apply.sh"
verify = "sh scripts/verify.sh"
[targets.app.commands.env]
PROD_URL = "{prod}"
DEV_URL = "{dev}"
PATH = "{path}"
DUMPS = "{dumps}"
MARKER = "{marker}"
DAEMON = '''{daemon}'''
NODE_ENV = "production"
[[targets.app.health_checks]]
name = "smoke"
kind = "command"
command = ["sh", "{repo}/scripts/smoke.sh"]

[targets.other]
database_url = "${{OTHER_PROD_URL}}"
desired_url = "${{OTHER_PROD_URL}}"
snapshot = "none"
"""


def alive(marker: str) -> list[str]:
    """The marked command lines of live (not zombie) processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_bytes().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != b"Z":
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def kill_marked(marker: str) -> None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=a@x", "-c", "user.name=Ann", *args],
        check=True,
        capture_output=True,
    )


def make_checkout(root: Path, *, leave_behind: bool) -> Path:
    """Every script dumps its environment first; with ``leave_behind`` it also leaves a setsid
    child and a double-forked daemon running before it does its real work."""
    repo = root / "app"
    (repo / "scripts").mkdir(parents=True)
    (repo / "prisma").mkdir()
    extra = LEAVE_BEHIND if leave_behind else ""
    for name, body in {**SCRIPTS, "smoke.sh": "echo smoke ok"}.items():
        (repo / "scripts" / name).write_text(f"#!/bin/sh\nset -e\n{DUMP_ENV}\n{extra}{body}\n")
    (repo / "prisma" / "schema.prisma").write_text("model User { id Int @id }\n")
    (repo / ".gitignore").write_text("prisma_prod_align.sql\n")
    git(repo, "init", "-q", "-b", "dev")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "schema: users")
    return repo


@pytest.fixture
def marker():
    mark = f"align-isolation-{uuid.uuid4().hex}"
    yield mark
    kill_marked(mark)  # only ever does something when a test has already failed


@pytest.fixture
async def state_url(make_db, pg_cluster):
    """The bot's own store, reached as a role of its own with a password nothing else uses."""
    role = f"align_state_{uuid.uuid4().hex[:10]}"
    url = await make_db()
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{STATE_PASSWORD}'")
        await admin.execute(f"GRANT CREATE, USAGE ON SCHEMA public TO {role}")
    finally:
        await admin.close()
    host = url.rsplit("@", 1)[1]
    yield f"postgresql://{role}:{STATE_PASSWORD}@{host}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
    finally:
        await admin.close()


@pytest.fixture
async def make_app(make_db, state_url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker):
    """The bot's process environment holds every secret the issue lists; a commands-mode target
    whose scripts report what they received."""
    if not shutil.which("psql"):
        pytest.skip("psql client not installed")
    opened: list[tuple[TaskSupervisor, Store]] = []

    async def make(*, leave_behind: bool = False, timeouts: str = "") -> tuple[Runner, Path]:
        prod, dev = await make_db(PROD), await make_db(DEV)
        repo = make_checkout(tmp_path, leave_behind=leave_behind)
        dumps = tmp_path / "dumps"
        dumps.mkdir()
        cfg = tmp_path / "align.toml"
        cfg.write_text(
            CONFIG.format(
                data=tmp_path / "data",
                prod=prod,
                dev=dev,
                repo=repo,
                path=os.environ["PATH"],
                dumps=dumps,
                marker=marker,
                daemon=DAEMON,
                timeouts=timeouts,
            )
        )
        for key, value in BOT_SECRETS.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("ALIGN_STATE_URL", state_url)
        monkeypatch.setenv("ALIGN_CONFIG", str(cfg))
        settings = load_settings(cfg, os.environ)
        store = await Store.open(state_url)
        supervisor = TaskSupervisor()
        opened.append((supervisor, store))
        return Runner(settings=settings, store=store, supervisor=supervisor), repo

    yield make
    for supervisor, store in opened:
        await supervisor.close()
        await store.close()


async def run_to_done(runner: Runner):
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    assert run.state is RunState.AWAITING_REVIEW, run.error
    await decide(runner, run, decision="approved", user="U0BOB0002")
    final = await runner.wait(run.id)
    assert final.state is RunState.DONE, final.error
    return final


async def test_runbook_scripts_get_a_minimal_environment_without_the_bots_keys(
    make_app, tmp_path: Path, state_url: str
) -> None:
    runner, _repo = await make_app()
    final = await run_to_done(runner)
    assert final.outcome == "IN SYNC" and final.data["health"][0]["status"] == "PASS"
    dumps = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "dumps").glob("*.json")}
    assert set(dumps) == {"dev_sync", "generate_client", "diff", "apply", "verify", "health"}
    forbidden = [*BOT_SECRETS.values(), STATE_PASSWORD, state_url, str(tmp_path / "align.toml")]
    for step, env in dumps.items():
        leaked = [k for k in env if k.startswith(("SLACK_", "NEON_", "OTHER_"))]
        assert leaked == [], f"{step} received {leaked}"
        assert not {"ALIGN_STATE_URL", "ALIGN_CONFIG"} & set(env), step
        assert not [v for v in env.values() for s in forbidden if s in v], step
        # what it should get: its own config, and who/what/which step it runs for
        assert env["NODE_ENV"] == "production" and env["PROD_URL"].startswith("postgresql://")
        assert env["ALIGN_RUN_ID"] == final.id and env["ALIGN_TARGET"] == "app"
        assert env["ALIGN_STEP"] == step
        allowed = {"PATH", "HOME", "LANG", "TZ", "TMPDIR", "PWD", "SHLVL", "_", "OLDPWD"}
        config_keys = {"PROD_URL", "DEV_URL", "DUMPS", "MARKER", "DAEMON", "NODE_ENV"}
        step_keys = {"ALIGN_RUN_ID", "ALIGN_TARGET", "ALIGN_STEP", "ALIGN_SQL_FILE"}
        unexpected = set(env) - allowed - config_keys - step_keys
        assert {k for k in unexpected if not k.startswith("LC_")} == set(), step


async def test_nothing_a_runbook_script_leaves_behind_outlives_its_step(
    make_app, marker: str, pg_cluster
) -> None:
    runner, _repo = await make_app(leave_behind=True)
    final = await run_to_done(runner)
    assert final.outcome == "IN SYNC", final.error
    dumps = runner.settings.data_dir.parent / "dumps"
    steps = {json.loads(p.read_text())["ALIGN_STEP"] for p in dumps.glob("*.json")}
    assert steps == {"dev_sync", "generate_client", "diff", "apply", "verify", "health"}
    assert alive(marker) == []
    conn = await asyncpg.connect(pg_cluster.url())  # the bot's own cluster is untouched
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_a_timed_out_runbook_script_leaves_nothing_behind(
    make_app, marker: str, pg_cluster
) -> None:
    runner, repo = await make_app(timeouts='[timeouts]\ncommand = "1s"')
    (repo / "scripts" / "dev-sync.sh").write_text(
        f"#!/bin/sh\ntrap '' TERM\n{LEAVE_BEHIND}sleep 300\n"
    )
    git(repo, "commit", "-qam", "a sync that hangs")
    run = await runner.wait((await runner.start(target="app", requested_by="U1", via="cli")).id)
    assert run.state is RunState.FAILED and "timed out" in run.error
    assert alive(marker) == []
    conn = await asyncpg.connect(pg_cluster.url())
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_a_health_check_command_gets_the_minimal_env_and_leaves_nothing_behind(
    make_db, tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_db()
    for key, value in BOT_SECRETS.items():
        monkeypatch.setenv(key, value)
    dump = tmp_path / "health.json"
    script = (
        f"{LEAVE_BEHIND}{PY} -c 'import json, os, sys; "
        f'json.dump(dict(os.environ), open(sys.argv[1], "w"))\' {dump}\necho healthy\n'
    )
    target = Target(
        name="prod",
        database_url=Secret(url),
        mode="builtin",
        snapshot="none",
        desired_url=Secret(url),
        commands=CommandsSettings(
            checkout=tmp_path,
            env=(("DAEMON", Secret(DAEMON, sensitive=False)), ("MARKER", Secret(marker))),
        ),
        health_checks=(
            HealthCheck(name="smoke", kind="command", command=("sh", "-c", script)),
            HealthCheck(name="conns", kind="db"),
        ),
    )
    results = await run_health_checks(target, masker=Masker(), run_id="r-health-1")
    assert [r["status"] for r in results] == ["PASS", "PASS"], results
    assert alive(marker) == []
    env = json.loads(dump.read_text())
    assert env["ALIGN_STEP"] == "health" and env["ALIGN_RUN_ID"] == "r-health-1"
    assert env["ALIGN_TARGET"] == "prod" and env["MARKER"] == marker
    assert not [k for k in env if k.startswith(("SLACK_", "NEON_", "OTHER_"))]


# ------------------------------------------------------------------ the builder, pure
def target_with_env(**env: str) -> Target:
    return Target(
        name="app",
        database_url=Secret("postgresql://app:pw@db/app"),
        mode="commands",
        snapshot="none",
        commands=CommandsSettings(
            checkout=Path("."), env=tuple((k, Secret(v)) for k, v in env.items())
        ),
    )


BASE = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/align",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "TMPDIR": "/var/tmp/align",
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-leakedbottoken",
    "ALIGN_STATE_URL": f"postgresql://align:{STATE_PASSWORD}@db/align",
    "ALIGN_CONFIG": "/etc/align/align.toml",
    "NEON_API_KEY": "neon-api-key-leaked-0123456789",
    "OTHER_PROD_URL": "postgresql://other:0therTargetPw@db/other",
    "PYTHONPATH": "/opt/align",
    "AWS_SECRET_ACCESS_KEY": "aws-leaked",
}


def test_builder_passes_only_the_allow_list_and_the_targets_own_env() -> None:
    env = runbook_env(
        target_with_env(DATABASE_URL="postgresql://app:pw@db/app", PATH="/opt/node/bin:/bin"),
        base=BASE,
        step="apply",
        run_id="r1",
        extra={"ALIGN_SQL_FILE": "/run/align/r1/plan.sql"},
    )
    assert env == {
        "PATH": "/opt/node/bin:/bin",  # the target's own value wins
        "HOME": "/home/align",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "TMPDIR": "/var/tmp/align",
        "DATABASE_URL": "postgresql://app:pw@db/app",
        "ALIGN_RUN_ID": "r1",
        "ALIGN_TARGET": "app",
        "ALIGN_STEP": "apply",
        "ALIGN_SQL_FILE": "/run/align/r1/plan.sql",
    }


@pytest.mark.parametrize("key", ["SLACK_SIGNING_SECRET", "ALIGN_STATE_URL", "NEON_API_KEY"])
def test_a_target_config_naming_a_bot_variable_is_refused(key: str) -> None:
    with pytest.raises(CommandError, match=f"targets.app.commands.env.{key}: .*may not receive"):
        runbook_env(target_with_env(**{key: "x" * 20}), base=BASE, step="diff", run_id="r1")


def test_a_target_config_smuggling_a_bot_secret_under_another_name_is_refused() -> None:
    target = target_with_env(WEBHOOK_TOKEN=BASE["SLACK_BOT_TOKEN"])
    with pytest.raises(CommandError, match="WEBHOOK_TOKEN: its value is the bot's SLACK_BOT_TOKEN"):
        runbook_env(target, base=BASE, step="dev_sync", run_id="r1")


def test_a_step_cannot_override_the_step_variables() -> None:
    with pytest.raises(ValueError, match="ALIGN_STEP"):
        runbook_env(
            target_with_env(), base=BASE, step="apply", run_id="r1", extra={"ALIGN_STEP": "x"}
        )
    with pytest.raises(ValueError, match="unknown step"):
        runbook_env(target_with_env(), base=BASE, step="deploy", run_id="r1")

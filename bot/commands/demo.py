"""``align demo``: the whole workflow on an embedded local PostgreSQL, no Slack needed.

It starts a throwaway cluster; creates an example application's production database (rows,
and a schema three commits behind, including destructive drift), its dev database, and its git
checkout with runbook scripts; starts the application; then runs every step of the runbook:
pg_dump snapshot, git checks, dev sync and client generation, diff, review, rehearsal on a copy,
approval (by you, the terminal reviewer the demo config names; at the prompt with --interactive),
transactional apply, verification, health checks, related commits, and the report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg

from bot.config import load_settings
from bot.demo.checkout import SCHEMA_PATH, demo_sql, make_checkout
from bot.demo.runbook import RESET_PUBLIC
from bot.files import private_dir, write_private
from bot.pgcluster import PgCluster
from bot.snapshots.pgtools import PgConn
from bot.workflow.authority import Actor

CONFIG = """\
# Written by `align demo`; secrets come from the environment.
[bot]
data_dir = "{data}"
default_target = "prod"
[access]
reviewers = []
terminal_reviewers = ["{terminal_user}"]
[targets.prod]
database_url = "${{DEMO_PROD_URL}}"
mode = "{mode}"
snapshot = "pg_dump"
rehearsal = "full"
{desired}
[[targets.prod.health_checks]]
name = "application"
kind = "http"
url = "http://127.0.0.1:{port}/healthz"
[[targets.prod.health_checks]]
name = "connections"
kind = "db"
[[targets.prod.health_checks]]
name = "catalog"
kind = "catalog"
[[targets.prod.health_checks]]
name = "application log"
kind = "log"
command = ["cat", "{log}"]
[[targets.prod.health_checks]]
name = "invoices page"
kind = "command"
command = ["${{DEMO_PYTHON}}", "-m", "bot.demo.runbook", "smoke", "http://127.0.0.1:{port}"]
"""
COMMANDS = """\
[targets.prod.commands]
checkout = "{repo}"
branch = "dev"
dev_sync = "sh scripts/db-dev-sync.sh"
generate_client = "sh scripts/generate-client.sh"
diff = "sh scripts/db-prod-align-diff.sh"
diff_output = "prisma_prod_align.sql"
verify = "sh scripts/db-prod-align-verify.sh"
schema_path = "{schema}"
[targets.prod.commands.env]
# The scripts pass these URLs on `align diff`'s command line, which every local user can read
# with `ps`: they carry no password, and the password travels in the environment instead.
PROD_URL = "${{DEMO_PROD_URL_NO_PASSWORD}}"
DEV_URL = "${{DEMO_DEV_URL_NO_PASSWORD}}"
PGPASSWORD = "${{DEMO_PGPASSWORD}}"
DEMO_PYTHON = "${{DEMO_PYTHON}}"
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the whole workflow on an embedded local PostgreSQL")
    p.add_argument("--dir", default=".align-data/demo", help="where reports and dumps go")
    p.add_argument(
        "--mode", choices=("commands", "builtin"), default="commands",
        help="commands: the runbook's scripts in a git checkout (default); builtin: the "
        "built-in differ against the dev database",
    )  # fmt: skip
    p.add_argument("--interactive", action="store_true", help="ask for the review decision")
    p.set_defaults(func=run)


def demo_environ(*, prod: str, dev: str, state: str) -> dict[str, str]:
    """What the demo config's ``${…}`` references resolve to. The bot itself connects with the
    full URLs; the runbook commands get them without the password, plus ``PGPASSWORD`` (the
    demo's databases share one cluster, so one password serves both)."""
    prod_conn, dev_conn = PgConn(prod), PgConn(dev)
    return {
        "DEMO_PROD_URL": prod,
        "DEMO_DEV_URL": dev,
        "DEMO_PROD_URL_NO_PASSWORD": prod_conn.tool_url,
        "DEMO_DEV_URL_NO_PASSWORD": dev_conn.tool_url,
        "DEMO_PGPASSWORD": prod_conn.password or "",
        "DEMO_PYTHON": sys.executable,
        "ALIGN_STATE_URL": state,
    }


def demo_config(data_dir: Path, *, mode: str, repo: Path, port: int, log: Path) -> str:
    """The TOML the demo runs with (secrets stay ``${…}`` references). Whoever runs the demo is
    its terminal reviewer; the run is requested by "demo-operator", so four-eyes holds."""
    desired = (COMMANDS.format(repo=repo, schema=SCHEMA_PATH) if mode == "commands"
               else 'desired_url = "${DEMO_DEV_URL}"')  # fmt: skip
    return CONFIG.format(data=data_dir, mode=mode, desired=desired, port=port, log=log,
                         terminal_user=Actor.this_terminal().id)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    return asyncio.run(demo(Path(args.dir).resolve(), mode=args.mode, interactive=args.interactive))


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def _application(prod_url: str, port: int, log: Path) -> AsyncIterator[None]:
    """The example application, running against production for the whole demo."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.demo.app", "--port", str(port), "--log", str(log),
        env={**os.environ, "DATABASE_URL": prod_url},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield
    finally:
        proc.terminate()
        await proc.wait()


async def demo(data_dir: Path, *, mode: str, interactive: bool) -> int:
    from bot.commands.run import drive

    started = time.monotonic()
    await asyncio.to_thread(private_dir, data_dir)  # dumps of the example's rows go here
    print("starting an embedded PostgreSQL cluster …", flush=True)
    cluster = await PgCluster.start_ephemeral(purpose="demo")
    try:
        prod = await cluster.create_database("bhq_prod")
        dev = await cluster.create_database("bhq_dev")
        state = await cluster.create_database("align_state")
        await _execute(prod, demo_sql("schema_v1.sql") + demo_sql("prod_data.sql"))
        repo = await asyncio.to_thread(make_checkout, data_dir)
        await _execute(dev, demo_sql("schema_v1.sql"))  # dev sync brings it up to date
        if mode == "builtin":
            await _execute(dev, RESET_PUBLIC + demo_sql("schema_v3.sql"))
        port, log = _free_port(), data_dir / "application.log"
        await asyncio.to_thread(write_private, log, b"")
        config = await asyncio.to_thread(
            write_private,
            data_dir / "align.toml",
            demo_config(data_dir, mode=mode, repo=repo, port=port, log=log),
        )
        settings = load_settings(config, demo_environ(prod=prod, dev=dev, state=state))
        print(f"example application: production {settings.targets['prod'].database_label} is "
              f"three schema commits behind {repo} (mode: {mode})", flush=True)  # fmt: skip
        args = argparse.Namespace(
            target="prod", decision=None if interactive else "approve",
            confirm_target=None if interactive else "prod",
            reason=None if interactive else "demo: destructive changes reviewed and accepted",
        )  # fmt: skip
        async with _application(prod, port, log):
            code = await drive(settings, args, requester="demo-operator", via="demo")
    finally:
        await cluster.stop(delete=True)
    print(f"demo finished in {time.monotonic() - started:.1f}s; files in {data_dir}",
          file=sys.stderr)  # fmt: skip
    return code

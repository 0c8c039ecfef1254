"""The demo's runbook scripts pass database URLs on `align diff`'s command line, which every
local user can read with `ps`: the URLs they get carry no password (it travels as PGPASSWORD
through the target's ``[commands.env]``), and the scripts still work that way."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.commands.demo import demo_config, demo_environ
from bot.config import load_settings
from bot.demo.checkout import demo_sql, make_checkout
from bot.files import write_private


def _commands_env(tmp_path: Path, *, prod: str, dev: str, state: str) -> tuple[Path, dict]:
    repo = tmp_path / "app"
    config = write_private(
        tmp_path / "align.toml",
        demo_config(tmp_path, mode="commands", repo=repo, port=1, log=tmp_path / "app.log"),
    )
    settings = load_settings(config, demo_environ(prod=prod, dev=dev, state=state))
    commands = settings.targets["prod"].commands
    assert commands is not None
    return config, {key: secret.value for key, secret in commands.env}


async def test_demo_config_gives_the_runbook_password_less_urls_and_pgpassword(
    make_db, pg_cluster, tmp_path: Path
) -> None:
    password = pg_cluster.password
    prod, dev, state = await make_db(), await make_db(), await make_db()
    config, env = _commands_env(tmp_path, prod=prod, dev=dev, state=state)
    assert password not in env["PROD_URL"] and password not in env["DEV_URL"]
    assert env["PROD_URL"].startswith("postgresql://align@127.0.0.1:")
    assert env["PGPASSWORD"] == password
    assert password not in config.read_text()


async def test_demo_runbook_scripts_show_no_password_in_any_argv(
    make_db, pg_cluster, tmp_path: Path
) -> None:
    """The attack: a local user watches the argv of every process the runbook scripts start.
    A wrapper standing in for the interpreter records each argv; none holds the password, and
    the diff and verify scripts still reach both databases."""
    password = pg_cluster.password
    prod = await make_db(demo_sql("schema_v1.sql"))
    dev = await make_db(demo_sql("schema_v3.sql"))
    _, env = _commands_env(tmp_path, prod=prod, dev=dev, state=await make_db())
    repo = await asyncio.to_thread(make_checkout, tmp_path)
    argv_log = tmp_path / "argv.log"
    wrapper = tmp_path / "python"
    wrapper.write_text(
        f'#!/bin/sh\nfor a in "$0" "$@"; do printf "%s\\n" "$a"; done >> {argv_log}\n'
        f'exec {sys.executable} "$@"\n'
    )
    wrapper.chmod(0o700)
    child_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        **env,
        "DEMO_PYTHON": str(wrapper),
    }
    codes = {}
    for script in ("db-prod-align-diff.sh", "db-prod-align-verify.sh"):
        proc = await asyncio.create_subprocess_exec(
            "sh", f"scripts/{script}", cwd=repo, env=child_env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await proc.communicate()
        codes[script] = (proc.returncode, out.decode())
    assert codes["db-prod-align-diff.sh"][0] == 0, codes
    assert "DROP TABLE public.legacy_audit" in (repo / "prisma_prod_align.sql").read_text()
    assert codes["db-prod-align-verify.sh"][0] == 2, codes  # production not aligned yet
    recorded = argv_log.read_text().splitlines()
    assert recorded.count("--from") == 2 and env["PROD_URL"] in recorded
    assert not [arg for arg in recorded if password in arg]
    assert all(password not in out for _, out in codes.values())

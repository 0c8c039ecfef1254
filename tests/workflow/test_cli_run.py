"""`align run` in a terminal: live progress, the review card, and the decision at the prompt.

Terminal decisions are made as the operating-system user running the command (``cli:USER@HOST``):
only ``access.terminal_reviewers`` may decide, four-eyes holds, a typed name is never an identity,
and a DESTRUCTIVE plan is approved by typing the target's name.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg

from .conftest import DEV, PROD

ME = getpass.getuser()
CONFIG = """
[bot]
data_dir = "{data}"
[access]
four_eyes = {four_eyes}
terminal_reviewers = [{reviewers}]
[targets.prod]
database_url = "{prod}"
desired_url = "{dev}"
snapshot = "pg_dump"
"""


def align_run(cfg: Path, state: str, answers: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "prod", "--config", str(cfg), *extra],
        input=answers, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ALIGN_STATE_URL": state},
    )  # fmt: skip


def write_config(
    tmp_path: Path, prod: str, dev: str, *, four_eyes: bool = False, reviewers: str = f'"{ME}"'
) -> Path:
    cfg = tmp_path / "align.toml"
    cfg.write_text(
        CONFIG.format(
            data=tmp_path / "data",
            prod=prod,
            dev=dev,
            four_eyes=str(four_eyes).lower(),
            reviewers=reviewers,
        )
    )
    return cfg


async def legacy_still_there(prod: str) -> bool:
    conn = await asyncpg.connect(prod)
    try:
        return bool(await conn.fetchval("SELECT to_regclass('public.legacy') IS NOT NULL"))
    finally:
        await conn.close()


async def test_cli_run_asks_for_the_decision_and_applies(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = write_config(tmp_path, prod, dev)
    out = align_run(cfg, state, "approve\nprod\n")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "verdict: DESTRUCTIVE" in out.stdout and "DROP_TABLE" in out.stdout
    assert "decide on plan " in out.stdout and ".p1 as cli:" in out.stdout
    for step in ("snapshot", "dev_sync", "diff", "rehearsal", "verify", "health_checks"):
        assert f"  {step}: succeeded" in out.stdout
    assert f"decision: APPROVED by cli:{ME}@{socket.gethostname()}" in out.stdout
    assert "done — IN SYNC" in out.stdout
    password = prod.split(":")[2].split("@")[0]
    assert password not in out.stdout + out.stderr


async def test_cli_run_reject_needs_a_reason_and_exits_zero(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = write_config(tmp_path, prod, dev)
    out = align_run(cfg, state, "", "--decision", "reject", "--reason", "not during the sale")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rejected" in out.stdout
    report = next((tmp_path / "data" / "runs").glob("*/*.md")).read_text()
    assert "not during the sale" in report and "REJECTED" in report


async def test_cli_run_a_typed_reviewer_name_is_refused(make_db, tmp_path: Path) -> None:
    # The attack: claim to be a Slack reviewer on the command line.
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = write_config(tmp_path, prod, dev)
    out = align_run(cfg, state, "", "--decision", "approve", "--reviewer", "U0BOB0002")
    assert out.returncode == 2 and "--reviewer is not accepted" in out.stderr
    assert not (tmp_path / "data" / "runs").exists()  # nothing started
    assert await legacy_still_there(prod)


async def test_cli_run_only_terminal_reviewers_decide(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = write_config(tmp_path, prod, dev, reviewers='"someone-else"')
    out = align_run(cfg, state, "", "--decision", "approve", "--confirm-target", "prod")
    assert out.returncode == 1
    assert "may not decide at the terminal" in out.stderr and "terminal_reviewers" in out.stderr
    assert await legacy_still_there(prod)


async def test_cli_run_four_eyes_the_terminal_requester_cannot_approve(
    make_db, tmp_path: Path
) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = write_config(tmp_path, prod, dev, four_eyes=True)
    out = align_run(cfg, state, "", "--decision", "approve", "--confirm-target", "prod")
    assert out.returncode == 1 and "four-eyes" in out.stderr
    assert await legacy_still_there(prod)


async def test_cli_run_destructive_plan_needs_the_target_typed(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = write_config(tmp_path, prod, dev)
    out = align_run(cfg, state, "", "--decision", "approve")  # no --confirm-target
    assert out.returncode == 1 and "typing the target's name (prod)" in out.stderr
    assert await legacy_still_there(prod)
    # At the prompt, a wrong name is refused too, and the prompt comes back.
    out = await asyncio.to_thread(align_run, cfg, await make_db(), "approve\nprd\n")
    assert "typing the target's name (prod)" in out.stderr
    assert await legacy_still_there(prod)

"""`align run` in a terminal: live progress, the review card, and the decision at the prompt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import DEV, PROD

CONFIG = """
[bot]
data_dir = "{data}"
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


async def test_cli_run_asks_for_the_decision_and_applies(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = tmp_path / "align.toml"
    cfg.write_text(CONFIG.format(data=tmp_path / "data", prod=prod, dev=dev))
    out = align_run(cfg, state, "approve\nU0BOB0002\n")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "verdict: DESTRUCTIVE" in out.stdout and "DROP_TABLE" in out.stdout
    for step in ("snapshot", "dev_sync", "diff", "rehearsal", "verify", "health_checks"):
        assert f"  {step}: succeeded" in out.stdout
    assert "decision: APPROVED by U0BOB0002" in out.stdout
    assert "done — IN SYNC" in out.stdout
    password = prod.split(":")[2].split("@")[0]
    assert password not in out.stdout + out.stderr


async def test_cli_run_reject_needs_a_reason_and_exits_zero(make_db, tmp_path: Path) -> None:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    cfg = tmp_path / "align.toml"
    cfg.write_text(CONFIG.format(data=tmp_path / "data", prod=prod, dev=dev))
    out = align_run(cfg, state, "", "--decision", "reject", "--reviewer", "U0BOB0002",
                    "--reason", "not during the sale")  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rejected" in out.stdout
    report = next((tmp_path / "data" / "runs").glob("*/*.md")).read_text()
    assert "not during the sale" in report and "REJECTED" in report

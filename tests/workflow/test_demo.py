"""`align demo` end to end, as a user runs it: every section of the runbook report filled."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PLACEHOLDERS = re.compile(r"\[To be filled|\[e\.g\.|\[List |\[Paste |\[Describe |\[Any additional")


@pytest.mark.parametrize("mode", ["commands", "builtin"])
def test_demo_runs_the_whole_workflow_and_writes_a_final_report(tmp_path: Path, mode: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--dir", str(tmp_path), "--mode", mode],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    written = re.findall(r"report written: (\S+\.md)", out.stdout)
    assert len(written) == 1
    report = Path(written[0]).read_text()
    assert "**Report Status:** FINAL — production IN SYNC" in report
    assert not PLACEHOLDERS.search(report)
    checked = set(re.findall(r"- \[x\] ([^—\n]+)", report))
    for box in ("Database connections healthy", "No constraint violations in logs",
                "User-facing features operational", "Application started successfully",
                "SQL diff successfully generated", "No errors encountered"):  # fmt: skip
        assert any(line.startswith(box) for line in checked), box
    assert "DROP TABLE: `public.legacy_audit`" in report
    assert "ALTER TYPE: `public.invoices.amount`" in report
    if mode == "commands":
        for box in ("Working on `dev` branch", "Clean working tree confirmed",
                    "Prisma client regenerated"):  # fmt: skip
            assert any(line.startswith(box) for line in checked), box
        assert "drop legacy audit" in report  # the commit that changed the schema
    assert ":***@" in report and "password" not in report.lower()

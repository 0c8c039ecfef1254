"""``align report -o FILE`` writes a private file, even over a world-readable one."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from tests.report import scenarios as sc


async def test_report_cli_output_file_is_0600_even_over_an_existing_0644_file(
    store: Store, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = await sc.no_changes(store)
    monkeypatch.setenv("ALIGN_STATE_URL", state_url)
    out = tmp_path / "report.md"
    out.write_text("an older report, readable by every local user")
    out.chmod(0o644)
    previous = os.umask(0o022)
    try:
        code = await asyncio.to_thread(main, ["report", run_id, "-o", str(out)])
    finally:
        os.umask(previous)
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert run_id in out.read_text()

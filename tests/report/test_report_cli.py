"""``align report`` end to end: the real CLI reading a real state store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from tests.report import scenarios as sc
from tests.report.markdown import field_anywhere, parse

CONFIG = """
[targets.prod]
database_url = "${PROD_DATABASE_URL}"
mode = "commands"
snapshot = "neon"

[targets.prod.commands]
checkout = "."
apply = "npm run db:prod:align:apply"

[targets.prod.neon]
api_key = "${NEON_API_KEY}"
project_id = "proj-1"
branch_id = "br-1"
"""


async def test_report_cli_writes_markdown_with_configured_labels_and_masked_secrets(
    store: Store, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = await sc.rejected(store)
    config = tmp_path / "align.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("ALIGN_STATE_URL", state_url)
    monkeypatch.setenv("PROD_DATABASE_URL", sc.PROD_URL)
    monkeypatch.setenv("NEON_API_KEY", sc.NEON_KEY)
    out = tmp_path / "report.md"
    code = await asyncio.to_thread(
        main, ["report", run_id, "--config", str(config), "-o", str(out)]
    )
    assert code == 0
    text = out.read_text()
    for secret in (*sc.SECRETS, state_url):
        assert secret not in text
    doc = parse(text)
    assert doc.find("5. Prod Apply").fields["Command"] == "`npm run db:prod:align:apply`"
    assert field_anywhere(doc, "Report Status").startswith("INCOMPLETE — run rejected")


async def test_report_cli_json_without_config_reads_the_state_url(
    store: Store,
    state_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = await sc.no_changes(store)
    monkeypatch.setenv("ALIGN_STATE_URL", state_url)
    assert await asyncio.to_thread(main, ["report", run_id, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == run_id
    assert data["status"]["text"] == "FINAL — production IN SYNC"
    assert data["review"]["decision"] == "NOT REQUIRED"


async def test_report_cli_unknown_run_is_a_clear_error(
    store: Store,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ALIGN_STATE_URL", state_url)
    assert await asyncio.to_thread(main, ["report", "20990101-000000"]) == 1
    err = capsys.readouterr().err
    assert "no run '20990101-000000'" in err
    assert "***" in err or "postgresql" not in err

"""``align review``: human and JSON output, exit codes, ``--against``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from bot.commands import review as review_command
from bot.errors import AlignError

SCRIPT = """-- AlterTable
ALTER TABLE "User" ADD COLUMN "age" INTEGER NOT NULL;
-- DropTable
DROP TABLE "Legacy";
CREATE TABLE "New" (id int);
"""


def main(argv: list[str]) -> int:
    """The review subcommand through argparse, with bot.cli's error contract (AlignError -> 1).
    (Built locally so these tests do not depend on every other registered command importing.)"""
    parser = argparse.ArgumentParser(prog="align")
    review_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AlignError as err:
        print(err.user_message(), file=sys.stderr)
        return 1


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prisma_prod_align.sql"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_review_command_text_ordered_by_severity(tmp_path, capsys) -> None:
    assert main(["review", _write(tmp_path, SCRIPT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verdict: DESTRUCTIVE")
    assert out.index("DROP_TABLE") < out.index("ADD_COLUMN_NOT_NULL_NO_DEFAULT")
    assert '#2 line 4  DROP_TABLE  public."Legacy"' in out


def test_review_command_json_exit_zero_whatever_the_verdict(tmp_path, capsys) -> None:
    assert main(["review", _write(tmp_path, SCRIPT), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "DESTRUCTIVE"
    assert data["counts"] == {"SAFE": 1, "NEEDS_ATTENTION": 1, "DESTRUCTIVE": 1}
    assert [f["code"] for s in data["statements"] for f in s["findings"]] == [
        "ADD_COLUMN_NOT_NULL_NO_DEFAULT",
        "DROP_TABLE",
    ]


@pytest.mark.parametrize("content", [None, b"\xff\xfe\x00bad"])
def test_review_command_unreadable_input_exits_1(tmp_path, capsys, content) -> None:
    path = tmp_path / "x.sql"
    if content is not None:
        path.write_bytes(content)
    assert main(["review", str(path)]) == 1
    assert "cannot read" in capsys.readouterr().err


async def test_review_command_against_adds_impact(tmp_path, make_db, capsys) -> None:
    import asyncio

    url = await make_db(
        'CREATE TABLE "Legacy" (id int); INSERT INTO "Legacy" SELECT generate_series(1, 7);'
    )
    path = _write(tmp_path, SCRIPT)
    code = await asyncio.to_thread(main, ["review", path, "--against", url, "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    legacy = data["statements"][1]["impacts"]
    assert legacy[0]["kind"] == "rows" and legacy[0]["count"] == 7 and legacy[0]["exact"]
    assert data["statements"][0]["impacts"][0]["kind"] == "skipped"

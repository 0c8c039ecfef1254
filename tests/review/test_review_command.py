"""``align review``: human and JSON output, exit codes, ``--against``."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


def test_review_command_missing_file_exits_1(tmp_path, capsys) -> None:
    assert main(["review", str(tmp_path / "x.sql")]) == 1
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"SELECT 1; \x00 DROP TABLE users;", "NUL byte at offset 10 (line 1)"),
        (b"SELECT 1;\n\x00\nDROP TABLE users;", "NUL byte at offset 10 (line 2)"),
        (b"\xff\xfe\x00bad", "invalid UTF-8 at offset 0 (line 1)"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_review_command_refuses_bytes_that_are_not_sql_text(
    tmp_path, capsys, content, problem, as_json
) -> None:
    path = tmp_path / "x.sql"
    path.write_bytes(content)
    assert main(["review", str(path), *(["--json"] if as_json else [])]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == f"{path} is not SQL text: {problem}"
    assert captured.out == ""  # no verdict at all, certainly not SAFE


def test_review_command_refuses_a_nul_on_standard_input(monkeypatch, capsys) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"SELECT 1; \x00 DROP TABLE users;"))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["review", "-"]) == 1
    assert "standard input is not SQL text: NUL byte at offset 10" in capsys.readouterr().err


def test_review_command_strips_a_bom_and_notes_it(tmp_path, capsys) -> None:
    path = tmp_path / "bom.sql"
    path.write_bytes(b"\xef\xbb\xbfDROP TABLE users;\n")
    assert main(["review", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verdict: DESTRUCTIVE")
    assert "note: a UTF-8 byte order mark at the start of the file was removed" in out
    assert main(["review", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "DESTRUCTIVE"
    assert data["notes"] == ["a UTF-8 byte order mark at the start of the file was removed "
                             "(psql ignores it too)"]  # fmt: skip


def test_review_command_meta_command_is_found_and_makes_the_plan_unappliable(
    tmp_path, capsys
) -> None:
    path = _write(tmp_path, "\\set x 1\nDROP TABLE users;\n")
    assert main(["review", path, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "DESTRUCTIVE"
    assert data["codes"] == ["DROP_TABLE", "PSQL_META_COMMAND"]
    assert data["unappliable"] == [
        "line 1: psql meta-command \\set is not SQL and cannot be applied"
    ]
    assert [s["kind"] for s in data["statements"]] == ["PSQL_META", "DROP TABLE"]


def test_review_command_comment_only_file_is_empty_not_safe(tmp_path, capsys) -> None:
    path = _write(tmp_path, "-- This is an empty migration.\n/* nothing */\n")
    assert main(["review", path]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verdict: EMPTY")
    assert "SAFE" not in out.splitlines()[0]
    assert main(["review", path, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["verdict"], data["empty"], data["statement_count"]) == ("EMPTY", True, 0)


async def test_review_command_against_adds_impact(tmp_path, make_db, capsys) -> None:
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


def _without_password(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), parts.password or ""


async def test_review_command_against_takes_the_password_from_pgpassword(
    tmp_path, make_db, capsys, monkeypatch
) -> None:
    url, password = _without_password(await make_db('CREATE TABLE "Legacy" (id int);'))
    assert password and password not in url
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-passfile"))
    monkeypatch.setenv("PGPASSWORD", password)
    argv = ["review", _write(tmp_path, SCRIPT), "--against", url, "--json"]
    assert not any(password in arg for arg in argv)
    assert await asyncio.to_thread(main, argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["statements"][1]["impacts"][0]["kind"] == "rows"


async def test_review_command_against_takes_the_password_from_a_passfile(
    tmp_path, make_db, capsys, monkeypatch
) -> None:
    url, password = _without_password(await make_db('CREATE TABLE "Legacy" (id int);'))
    parts = urlsplit(url)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{parts.hostname}:{parts.port}:*:{parts.username}:{password}\n")
    passfile.chmod(0o600)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    argv = ["review", _write(tmp_path, SCRIPT), "--against", url, "--json"]
    assert await asyncio.to_thread(main, argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["statements"][1]["impacts"][0]["kind"] == "rows"


async def test_review_command_against_without_any_password_fails_cleanly(
    tmp_path, make_db, capsys, monkeypatch
) -> None:
    url, password = _without_password(await make_db())
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-passfile"))
    argv = ["review", _write(tmp_path, SCRIPT), "--against", url]
    assert await asyncio.to_thread(main, argv) == 1
    captured = capsys.readouterr()
    assert "cannot connect" in captured.err
    assert password not in captured.err + captured.out


async def test_review_command_against_measures_a_script_with_meta_commands(
    tmp_path, make_db, capsys
) -> None:
    url = await make_db("CREATE TABLE users (id int); INSERT INTO users VALUES (1), (2);")
    path = _write(tmp_path, "\\set ON_ERROR_STOP on\nDROP TABLE users;\nROLLBACK;\n")
    assert await asyncio.to_thread(main, ["review", path, "--against", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["statements"][1]["impacts"][0]["count"] == 2
    assert len(data["unappliable"]) == 2

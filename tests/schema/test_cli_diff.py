"""``align diff`` end to end, as a subprocess against real databases."""

from __future__ import annotations

import asyncio
import json
import sys


async def _align(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "diff",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_cli_diff_exit_codes_and_output(make_db) -> None:
    a = await make_db("CREATE TABLE t (id int);")
    b = await make_db("CREATE TABLE t (id int, name text);")
    code, out, _ = await _align("--from", a, "--to", b, "--exit-code")
    assert code == 2
    assert out == "ALTER TABLE public.t ADD COLUMN name text;\n"
    code, out, _ = await _align("--from", a, "--to", a, "--exit-code")
    assert (code, out) == (0, "")
    code, out, _ = await _align("--from", a, "--to", b)
    assert code == 0


async def test_cli_diff_json_lists_statements(make_db) -> None:
    a = await make_db("CREATE TABLE t (id int, old int);")
    b = await make_db("CREATE TABLE t (id int);")
    code, out, _ = await _align("--from", a, "--to", b, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["statements"] == [
        {
            "sql": "ALTER TABLE public.t DROP COLUMN old",
            "object": "public.t.old",
            "operation": "drop_column",
            "destructive": True,
            "transactional": True,
        }
    ]


async def test_cli_diff_bad_database_one_masked_line(make_db, pg_cluster) -> None:
    good = await make_db()
    password = pg_cluster.password
    missing = pg_cluster.url("no_such_db")
    wrong_pw = good.replace(f":{password}@", ":wrong-secret@")
    unreachable = "postgresql://align:topsecret@127.0.0.1:1/prod"
    for bad in (missing, wrong_pw, unreachable):
        code, out, err = await _align("--from", bad, "--to", good, "--exit-code")
        assert code == 1
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert "***" in lines[0]
        for secret in (password, "wrong-secret", "topsecret"):
            assert secret not in err
    assert "no_such_db" in (await _align("--from", missing, "--to", good))[2]

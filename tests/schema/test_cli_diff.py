"""``align diff`` end to end, as a subprocess against real databases.

The URLs on its command line carry no password (every local user can read a process's arguments
with ``ps``); the password comes from ``PGPASSWORD`` or a passfile, as a user would run it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bot.snapshots.pgtools import PgConn

ALIGN_DIFF = (sys.executable, "-m", "bot", "diff")
WARNING = "visible to every local user in ps"


def _no_password(url: str) -> str:
    return PgConn(url).tool_url


def _env(**extra: str) -> dict[str, str]:
    """Our environment without any libpq password source, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    return {**env, **extra}


async def _spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *ALIGN_DIFF,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _align(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await _spawn(*args, env=env)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_diff_exit_codes_and_output(make_db, pg_cluster) -> None:
    a = _no_password(await make_db("CREATE TABLE t (id int);"))
    b = _no_password(await make_db("CREATE TABLE t (id int, name text);"))
    env = _env(PGPASSWORD=pg_cluster.password)
    code, out, err = await _align("--from", a, "--to", b, "--exit-code", env=env)
    assert code == 2
    assert out == "ALTER TABLE public.t ADD COLUMN name text;\n"
    assert WARNING not in err
    code, out, _ = await _align("--from", a, "--to", a, "--exit-code", env=env)
    assert (code, out) == (0, "")
    code, out, _ = await _align("--from", a, "--to", b, env=env)
    assert code == 0


async def test_cli_diff_json_lists_statements(make_db, pg_cluster) -> None:
    a = _no_password(await make_db("CREATE TABLE t (id int, old int);"))
    b = _no_password(await make_db("CREATE TABLE t (id int);"))
    code, out, _ = await _align(
        "--from", a, "--to", b, "--json", env=_env(PGPASSWORD=pg_cluster.password)
    )
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
    good = _no_password(await make_db())
    password = pg_cluster.password
    missing = _no_password(pg_cluster.url("no_such_db"))
    unreachable = "postgresql://align@127.0.0.1:1/prod"
    cases = [(missing, password), (good, "wrong-secret"), (unreachable, "topsecret")]
    for bad, pgpassword in cases:
        env = _env(PGPASSWORD=pgpassword)
        code, out, err = await _align("--from", bad, "--to", good, "--exit-code", env=env)
        assert code == 1
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("align diff: ")
        for secret in (password, "wrong-secret", "topsecret"):
            assert secret not in err
    code, _, err = await _align("--from", missing, "--to", good, env=_env(PGPASSWORD=password))
    assert "no_such_db" in err


async def test_cli_diff_password_in_url_still_works_but_is_warned_about_and_masked(
    make_db, pg_cluster
) -> None:
    a = await make_db("CREATE TABLE t (id int);")  # URLs with the password in them
    b = await make_db("CREATE TABLE t (id int, name text);")
    code, out, err = await _align("--from", a, "--to", b, "--exit-code", env=_env())
    assert code == 2 and out == "ALTER TABLE public.t ADD COLUMN name text;\n"
    warnings = [line for line in err.splitlines() if WARNING in line]
    assert len(warnings) == 2 and "--from" in warnings[0] and "--to" in warnings[1]
    assert "PGPASSWORD" in warnings[0]
    assert pg_cluster.password not in err
    unreachable = "postgresql://align:topsecret@127.0.0.1:1/prod"
    code, out, err = await _align("--from", unreachable, "--to", b, env=_env())
    assert code == 1 and "topsecret" not in err and pg_cluster.password not in err
    assert "***" in err.splitlines()[-1]


async def test_cli_diff_run_by_a_user_never_shows_the_password_in_its_cmdline(
    make_db, pg_cluster
) -> None:
    """The attack: another local user reads /proc/PID/cmdline (what `ps` shows) while
    `align diff` runs. It sees the URLs, never the password, and the diff still works."""
    password = pg_cluster.password
    a = _no_password(await make_db("CREATE TABLE t (id int);"))
    b = _no_password(await make_db("CREATE TABLE t (id int, name text);"))
    proc = await _spawn("--from", a, "--to", b, "--exit-code", env=_env(PGPASSWORD=password))
    seen: list[bytes] = []
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    while proc.returncode is None:
        try:
            seen.append(cmdline.read_bytes())
        except OSError:
            break
        await asyncio.sleep(0)
        if seen[-1].endswith(b"--exit-code\0"):
            break  # exec'd (before, it is ours): this is the argv every local user can read
    out, _ = await proc.communicate()
    assert proc.returncode == 2 and out.decode() == "ALTER TABLE public.t ADD COLUMN name text;\n"
    assert seen and seen[-1].split(b"\0")[-7:-1] == [
        b"diff",
        b"--from",
        a.encode(),
        b"--to",
        b.encode(),
        b"--exit-code",
    ]
    assert not any(password.encode() in argv for argv in seen)


async def test_cli_diff_reads_the_password_from_a_passfile(
    make_db, pg_cluster, tmp_path: Path
) -> None:
    a = _no_password(await make_db("CREATE TABLE t (id int);"))
    b = _no_password(await make_db("CREATE TABLE t (id int, name text);"))
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_cluster.port}:*:align:{pg_cluster.password}\n")
    passfile.chmod(0o600)
    code, out, err = await _align(
        "--from", a, "--to", b, "--exit-code", env=_env(PGPASSFILE=str(passfile))
    )
    assert (code, out) == (2, "ALTER TABLE public.t ADD COLUMN name text;\n"), err
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pgpass").write_text(passfile.read_text())
    (home / ".pgpass").chmod(0o600)
    code, out, err = await _align("--from", a, "--to", b, "--exit-code", env=_env(HOME=str(home)))
    assert (code, out) == (2, "ALTER TABLE public.t ADD COLUMN name text;\n"), err
    assert WARNING not in err


async def test_cli_diff_help_documents_the_password_less_form() -> None:
    proc = await asyncio.create_subprocess_exec(
        *ALIGN_DIFF, "--help", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    text = out.decode()
    assert "PGPASSWORD" in text and "PGPASSFILE" in text and "ps" in text


RANGE = "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);"


async def test_cli_diff_never_skips_a_kind_it_cannot_plan_silently(make_db, pg_cluster) -> None:
    """A range type only in TO: the script cannot make FROM equal TO, so align diff says which
    object it could not plan and exits non-zero, with or without --exit-code."""
    a = _no_password(await make_db("CREATE TABLE t (id int);"))
    b = _no_password(await make_db("CREATE TABLE t (id int, name text);" + RANGE))
    env = _env(PGPASSWORD=pg_cluster.password)
    for extra in ((), ("--exit-code",)):
        code, out, err = await _align("--from", a, "--to", b, *extra, env=env)
        assert code == 1
        assert out == "ALTER TABLE public.t ADD COLUMN name text;\n"  # the rest is still shown
        assert (
            "the plan is incomplete" in err and "range type public.floatrange (only in TO)" in err
        )
    code, out, _ = await _align("--from", a, "--to", b, "--json", env=env)
    assert code == 1
    assert "range type public.floatrange (only in TO)" in json.loads(out)["unplanned"]
    # The same unsupported object on both sides is no difference the plan misses.
    c = _no_password(await make_db(RANGE))
    d = _no_password(await make_db(RANGE))
    code, out, _ = await _align("--from", c, "--to", d, "--exit-code", env=env)
    assert (code, out) == (0, "")


async def test_cli_diff_extension_version_without_update_path_exits_1(make_db, pg_cluster) -> None:
    """A difference the differ finds but cannot plan (no downgrade script for citext) makes the
    plan incomplete: align diff exits 1 and names it, though the script itself is empty."""
    a = _no_password(await make_db("CREATE EXTENSION citext VERSION '1.6';"))
    b = _no_password(await make_db("CREATE EXTENSION citext VERSION '1.4';"))
    env = _env(PGPASSWORD=pg_cluster.password)
    code, out, err = await _align("--from", a, "--to", b, "--exit-code", env=env)
    assert (code, out) == (1, "")
    assert "the plan is incomplete" in err and "extension citext: installed version 1.6" in err
    code, out, _ = await _align("--from", b, "--to", a, "--exit-code", env=env)
    assert (code, out) == (2, "ALTER EXTENSION citext UPDATE TO '1.6';\n")

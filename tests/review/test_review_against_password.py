"""``align review --against URL`` as a user runs it: a URL without the password (its arguments
show in ``ps``), the password from PGPASSWORD; a URL with one is warned about."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bot.snapshots.pgtools import PgConn

WARNING = "visible to every local user in ps"


async def _review(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "review", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_review_against_password_less_url_uses_pgpassword_and_warns_otherwise(
    make_db, pg_cluster, tmp_path: Path
) -> None:
    url = await make_db("CREATE TABLE legacy (id int); INSERT INTO legacy VALUES (1), (2);")
    script = tmp_path / "plan.sql"
    script.write_text("DROP TABLE legacy;\n")
    base = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    plain = PgConn(url).tool_url
    code, out, err = await _review(
        str(script), "--against", plain, "--json", env={**base, "PGPASSWORD": pg_cluster.password}
    )
    assert code == 0, err
    assert json.loads(out)["statements"][0]["impacts"][0]["count"] == 2
    assert WARNING not in err
    code, out, err = await _review(str(script), "--against", url, "--json", env=base)
    assert code == 0 and json.loads(out)["statements"][0]["impacts"][0]["count"] == 2
    assert WARNING in err and "--against" in err and pg_cluster.password not in err

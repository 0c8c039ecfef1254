from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

from bot.pgcluster import PgCluster, PgClusterError, find_pg_bin, process_alive


async def test_pgcluster_start_stop_leaves_no_process_and_no_files() -> None:
    cluster = await PgCluster.start_ephemeral()
    pid = cluster.postmaster_pid()
    assert pid is not None and process_alive(pid)
    url = await cluster.create_database("demo_db")
    conn = await asyncpg.connect(url)
    assert await conn.fetchval("SELECT current_database()") == "demo_db"
    assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
    await conn.close()
    await cluster.drop_database("demo_db")
    await cluster.stop(delete=True)
    assert not process_alive(pid)
    assert not cluster.base_dir.exists()


async def test_pgcluster_persistent_keeps_data_across_restarts(tmp_path: Path) -> None:
    base = Path("/tmp") / f"align-persist-{os.getpid()}"
    cluster = await PgCluster.start_persistent(base)
    try:
        conn = await asyncpg.connect(cluster.url())
        await conn.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
        await conn.close()
        await cluster.stop()
        again = await PgCluster.start_persistent(base)
        conn = await asyncpg.connect(again.url())
        assert await conn.fetchval("SELECT x FROM kept") == 7
        await conn.close()
    finally:
        await cluster.stop(delete=True)


async def test_pgcluster_rejects_unsafe_database_names(pg_cluster: PgCluster) -> None:
    with pytest.raises(PgClusterError, match="invalid database name"):
        await pg_cluster.create_database('x"; DROP DATABASE postgres; --')


def test_find_pg_bin_explains_how_to_install_when_missing(tmp_path: Path) -> None:
    env = {"PG_BIN": str(tmp_path), "PATH": str(tmp_path)}
    with pytest.raises(PgClusterError, match=r"apt-get install -y postgresql.*PG_BIN"):
        find_pg_bin(env, system_root=tmp_path)
    assert (find_pg_bin({"PATH": os.environ["PATH"]}) / "initdb").is_file()

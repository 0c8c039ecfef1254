"""Provider "none", the SnapshotInfo record, and choosing a provider from the config."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from bot.config import NeonSettings, Secret
from bot.errors import SnapshotError
from bot.snapshots import (
    SKIPPED,
    NeonProvider,
    NoSnapshotProvider,
    PgDumpProvider,
    SnapshotInfo,
    provider_for,
)


async def test_none_provider_skips_and_refuses_restore(make_target, tmp_path):
    fixed = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    provider = provider_for(
        make_target("postgresql://u:pw@127.0.0.1:1/db", snapshot="none"),
        data_dir=tmp_path,
        masker=None,
        clock=lambda: fixed,
    )
    assert isinstance(provider, NoSnapshotProvider)

    info = await provider.create(run_id="r1")

    assert (info.provider, info.id, info.status, info.created_at) == (
        "none",
        "none",
        SKIPPED,
        fixed,
    )
    assert info.to_json()["status"] == "skipped"
    with pytest.raises(
        SnapshotError, match=r'no snapshot was taken for this target \(snapshot = "none"\)'
    ):
        await provider.restore(info)
    with pytest.raises(SnapshotError, match="schema-only"):
        async with provider.open_copy(info, schema_only=False):
            pass


async def test_none_provider_schema_only_copy_of_current_production(make_db, make_target, tmp_path):
    url = await make_db("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);")
    provider = provider_for(make_target(url, snapshot="none"), data_dir=tmp_path, masker=None)
    info = await provider.create(run_id="r2")

    async with provider.open_copy(info, schema_only=True) as copy_url:
        conn = await asyncpg.connect(copy_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM t") == 0
            assert await conn.fetchval("SELECT current_database()") == "align_rehearsal_r2"
        finally:
            await conn.close()

    conn = await asyncpg.connect(url)
    try:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_database WHERE datname = 'align_rehearsal_r2'"
            )
            == 0
        )
    finally:
        await conn.close()
    assert not (tmp_path / "snapshots").exists()  # nothing kept on disk


def test_snapshot_info_json_round_trip_and_contract_shape():
    info = SnapshotInfo(
        provider="pg_dump",
        id="prod-r1.dump",
        name="prod-r1",
        created_at=datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC),
        path="/data/prod-r1.dump",
        size_bytes=1234,
        detail={"run_id": "r1"},
    )

    data = json.loads(json.dumps(info.to_json()))

    assert data["created_at"] == "2025-05-06T07:08:09Z"
    assert {"provider", "id", "name", "created_at", "status", "path", "size_bytes"} <= set(data)
    assert SnapshotInfo.from_json(data) == info
    assert SnapshotInfo.from_json({**data, "status": "none"}).status == SKIPPED
    bare = {"provider": "none", "id": "none", "name": "none", "created_at": data["created_at"]}
    assert "path" not in SnapshotInfo.from_json(bare).to_json()


def test_snapshot_info_rejects_naive_times_and_unknown_status():
    with pytest.raises(ValueError, match="timezone"):
        SnapshotInfo(provider="none", id="x", name="x", created_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="status"):
        SnapshotInfo(provider="none", id="x", name="x", created_at=datetime.now(UTC), status="gone")
    with pytest.raises(ValueError, match="not a stored snapshot"):
        SnapshotInfo.from_json({"provider": "neon"})


def test_provider_for_picks_the_configured_provider(make_target, tmp_path):
    url = "postgresql://u:pw@127.0.0.1:1/db"
    dumps = provider_for(make_target(url), data_dir=tmp_path, masker=None)
    assert isinstance(dumps, PgDumpProvider) and dumps.dump_dir == tmp_path / "snapshots"
    own_dir = provider_for(
        make_target(url, pg_dump_dir=tmp_path / "elsewhere"), data_dir=tmp_path, masker=None
    )
    assert isinstance(own_dir, PgDumpProvider) and own_dir.dump_dir == tmp_path / "elsewhere"
    neon = NeonSettings(api_key=Secret("k" * 20), project_id="p", branch_id="br-x")
    assert isinstance(
        provider_for(make_target(url, snapshot="neon", neon=neon), data_dir=tmp_path, masker=None),
        NeonProvider,
    )
    with pytest.raises(SnapshotError, match=r"needs a \[targets.prod.neon\] table"):
        provider_for(make_target(url, snapshot="neon"), data_dir=tmp_path, masker=None)


def test_now_is_utc_even_with_a_local_clock():
    from bot.snapshots.base import now_utc

    local = datetime(2025, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert now_utc(lambda: local) == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert now_utc(lambda: local).tzinfo == UTC


def test_pgconn_keeps_password_off_the_tool_url():
    from bot.snapshots.pgtools import PgConn, scratch_name

    conn = PgConn("postgresql://app:p%40ss%3Aword@db.internal:5433/shop?sslmode=require")
    assert conn.password == "p@ss:word"
    assert conn.tool_url == "postgresql://app@db.internal:5433/shop?sslmode=require"
    assert conn.env()["PGPASSWORD"] == "p@ss:word"
    assert conn.label == "postgresql://app:***@db.internal:5433/shop?sslmode=require"
    assert conn.with_dbname("copy").dbname == "copy"
    query = PgConn("postgresql://app@h/db?password=s3cret-value&sslmode=disable")
    assert query.password == "s3cret-value"
    assert query.tool_url == "postgresql://app@h/db?sslmode=disable"
    assert scratch_name("align_rehearsal_", "Run 42/ÄB" + "x" * 80).startswith(
        "align_rehearsal_run_42_b"
    )
    assert len(scratch_name("align_rehearsal_", "x" * 80)) == 63

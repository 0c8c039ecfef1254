"""pg_dump provider against a real PostgreSQL: snapshot, restore, rehearsal copies, secrets."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import asyncpg
import pytest

from bot.errors import SnapshotError
from bot.pgcluster import find_pg_bin
from bot.secrets import Masker
from bot.shell import run_command
from bot.snapshots import AVAILABLE, DELETED, RESTORED, PgDumpProvider, provider_for
from bot.snapshots.pgtools import PgConn

SCHEMA = """
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, mood mood);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id),
    total numeric(10, 2) NOT NULL DEFAULT 0
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
CREATE SCHEMA audit;
CREATE TABLE audit.events (id int PRIMARY KEY, what text);
INSERT INTO customers (email, mood)
    SELECT 'c' || i || '@example.com', 'happy' FROM generate_series(1, 50) AS i;
INSERT INTO orders (customer_id, total) SELECT 1 + i % 50, i FROM generate_series(1, 300) AS i;
INSERT INTO audit.events VALUES (1, 'created');
"""

CHANGE = """
CREATE TABLE added_later (id int);
INSERT INTO added_later VALUES (1);
ALTER TABLE customers ALTER COLUMN email TYPE varchar(200);
ALTER TABLE orders ADD COLUMN note text;
DROP VIEW big_orders;
DELETE FROM orders WHERE id > 250;
INSERT INTO customers (email) VALUES ('new@example.com');
CREATE SCHEMA extra;
CREATE TABLE extra.t (a int);
DROP TABLE audit.events;
"""


async def schema_text(url: str, tmp_path: Path) -> str:
    """pg_dump --schema-only of ``url`` without comments and the per-dump restrict keys."""
    conn = PgConn(url)
    pg_dump = str(await asyncio.to_thread(find_pg_bin) / "pg_dump")
    out = tmp_path / "schema.sql"
    result = await run_command(
        [pg_dump, "--schema-only", "--no-owner", "-f", str(out), conn.tool_url],
        env=conn.env(),
        timeout=60,
    )
    assert result.ok, result.output_tail
    return "\n".join(
        line
        for line in out.read_text().splitlines()
        if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    )


async def contents(url: str) -> dict[str, list]:
    conn = await asyncpg.connect(url)
    try:
        return {
            "customers": [
                tuple(r) for r in await conn.fetch("SELECT * FROM customers ORDER BY id")
            ],
            "orders": [tuple(r) for r in await conn.fetch("SELECT * FROM orders ORDER BY id")],
            "events": [tuple(r) for r in await conn.fetch("SELECT * FROM audit.events")],
            "seq": [await conn.fetchval("SELECT last_value FROM customers_id_seq")],
        }
    finally:
        await conn.close()


async def run_sql(url: str, sql: str):
    conn = await asyncpg.connect(url)
    try:
        return (
            await conn.fetch(sql)
            if sql.lstrip().upper().startswith("SELECT")
            else (await conn.execute(sql))
        )
    finally:
        await conn.close()


def provider(url: str, tmp_path: Path, make_target) -> PgDumpProvider:
    masker = Masker([PgConn(url).password or ""])
    made = provider_for(make_target(url), data_dir=tmp_path, masker=masker)
    assert isinstance(made, PgDumpProvider)
    return made


async def test_pgdump_snapshot_writes_custom_dump_and_hides_password(
    make_db, tmp_path, make_target
):
    url = await make_db(SCHEMA)
    password = PgConn(url).password
    snap = provider(url, tmp_path, make_target)

    info = await snap.create(run_id="run-1")

    path = tmp_path / "snapshots" / "prod-run-1.dump"
    assert info.path == str(path) and path.is_file()
    assert info.size_bytes == path.stat().st_size > 0
    assert path.read_bytes()[:5] == b"PGDMP"  # custom format
    assert info.status == AVAILABLE and info.provider == "pg_dump"
    [result] = snap.tools.results
    assert "-Fc" in result.argv and "--lock-wait-timeout=30s" in result.argv
    assert password and all(password not in arg for arg in result.argv)
    assert password not in result.output_tail
    assert password not in json.dumps(info.to_json())


async def test_pgdump_restore_returns_schema_and_data_to_the_snapshot(
    make_db, tmp_path, make_target
):
    url = await make_db(SCHEMA)
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id="run-2")
    schema_before, data_before = await schema_text(url, tmp_path), await contents(url)
    await run_sql(url, CHANGE)
    assert await schema_text(url, tmp_path) != schema_before

    restored = await snap.restore(info)

    assert restored.status == RESTORED
    assert await schema_text(url, tmp_path) == schema_before
    assert await contents(url) == data_before
    leftovers = await run_sql(
        url,
        "SELECT nspname FROM pg_namespace WHERE nspname = 'extra' UNION ALL "
        "SELECT relname FROM pg_class WHERE relname = 'added_later'",
    )
    assert leftovers == []
    password = PgConn(url).password
    assert all(password not in " ".join(r.argv) + r.output_tail for r in snap.tools.results)


async def test_pgdump_failed_restore_leaves_production_untouched(make_db, tmp_path, make_target):
    url = await make_db(SCHEMA)
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id="run-3")
    await run_sql(url, CHANGE)
    changed = await schema_text(url, tmp_path), await run_sql(url, "SELECT count(*) FROM orders")
    dump = Path(info.path or "")
    dump.write_bytes(dump.read_bytes()[:-12])  # the last table data is cut short

    with pytest.raises(SnapshotError, match="Production was not changed"):
        await snap.restore(info)

    assert (
        await schema_text(url, tmp_path),
        await run_sql(url, "SELECT count(*) FROM orders"),
    ) == changed


async def test_pgdump_open_copy_full_and_schema_only(make_db, tmp_path, make_target):
    url = await make_db(SCHEMA)
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id="Run 4/x")
    await run_sql(url, "DELETE FROM orders")  # the copy is as of the snapshot, not now

    async with snap.open_copy(info, schema_only=False) as copy_url:
        assert PgConn(copy_url).dbname == "align_rehearsal_run_4_x"
        [row] = await run_sql(copy_url, "SELECT count(*) AS n FROM orders")
        assert row["n"] == 300
    async with snap.open_copy(info, schema_only=True) as copy_url:
        [row] = await run_sql(copy_url, "SELECT count(*) AS n FROM orders")
        assert row["n"] == 0

    left = await run_sql(url, "SELECT datname FROM pg_database WHERE datname LIKE 'align_rehe%'")
    assert left == []


async def test_pgdump_open_copy_is_dropped_when_the_rehearsal_fails(make_db, tmp_path, make_target):
    url = await make_db("CREATE TABLE t (id int)")
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id="run-5")

    with pytest.raises(ZeroDivisionError):
        async with await snap.open_copy(info, schema_only=False):
            raise ZeroDivisionError

    left = await run_sql(url, "SELECT datname FROM pg_database WHERE datname LIKE 'align_rehe%'")
    assert left == []


async def test_pgdump_snapshot_failure_raises_snapshot_error_without_password(
    make_db, tmp_path, make_target
):
    url = await make_db()
    bad = PgConn(url).with_dbname("no_such_database").url
    snap = provider(bad, tmp_path, make_target)

    with pytest.raises(SnapshotError) as err:
        await snap.create(run_id="run-6")

    assert "pg_dump of" in str(err.value) and "no_such_database" in str(err.value)
    assert "does not exist" in str(err.value)
    assert PgConn(url).password not in str(err.value)
    assert list((tmp_path / "snapshots").iterdir()) == []  # no partial file left


async def test_pgdump_delete_and_prune_remove_dump_files(make_db, tmp_path, make_target):
    from datetime import UTC, datetime, timedelta

    url = await make_db("CREATE TABLE t (id int)")
    snap = provider(url, tmp_path, make_target)
    first = await snap.create(run_id="a")
    second = await snap.create(run_id="b")
    old = (datetime.now(UTC) - timedelta(days=30)).timestamp()
    os.utime(first.path or "", (old, old))
    other = tmp_path / "snapshots" / "othertarget-x.dump"
    other.write_bytes(b"x")
    os.utime(other, (old, old))

    pruned = await snap.prune(older_than=datetime.now(UTC) - timedelta(days=14))

    assert [p.id for p in pruned] == [first.id]
    assert not Path(first.path or "").exists() and other.exists()
    deleted = await snap.delete(second)
    assert deleted.status == DELETED and not Path(second.path or "").exists()


async def test_pgdump_restore_of_a_missing_file_says_so(make_db, tmp_path, make_target):
    url = await make_db("CREATE TABLE t (id int)")
    snap = provider(url, tmp_path, make_target)
    info = await snap.create(run_id="gone")
    await snap.delete(info)

    with pytest.raises(SnapshotError, match="no longer exists"):
        await snap.restore(info)

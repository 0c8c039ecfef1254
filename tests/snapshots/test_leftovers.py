"""A bot killed during a rehearsal leaves nothing behind for long (issue 12, item 5).

The attack: production holds 200,000 rows (personal data in the real case); the bot restores its
dump into a scratch cluster for the rehearsal and is SIGKILLed while ``pg_restore`` runs. Without
care, the copy of production keeps running on the machine and ``pg_restore`` keeps loading it.
Asserted here on real PostgreSQL: the ``pg_restore`` dies with the bot, the next clean-up (what
start-up and retention run) stops and deletes the copy and audits it, and clusters whose owner
is alive are never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.leftovers import AUDIT_ACTION, clean_leftovers, find_leftovers
from bot.pgcluster import OWNER_FILE, PgCluster, process_alive
from bot.snapshots import PgDumpProvider
from bot.store import Store

ROWS = 200_000

# The "bot": restores the snapshot for a rehearsal and holds the copy open (as a rehearsal
# does while it runs the plan). The test kills it with SIGKILL at the worst moment.
BOT = """
import asyncio, json, sys
from pathlib import Path
from bot.snapshots import PgDumpProvider, SnapshotInfo

async def main():
    spec = json.loads(sys.argv[1])
    provider = PgDumpProvider(
        target_name="prod", database_url=spec["url"], dump_dir=Path(spec["dump_dir"])
    )
    info = SnapshotInfo.from_json(spec["snapshot"])
    async with provider.open_copy(info, schema_only=False) as url:
        print("COPY READY", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.fixture
def scratch_root() -> Iterator[Path]:
    """A temporary directory of this test's own (the clusters' parent, as TMPDIR): other
    processes' clean-ups scan the system one and cannot race this test. World-traversable
    because the server may run as another OS user."""
    root = Path(tempfile.mkdtemp(prefix="align-leftover-test-"))
    root.chmod(0o755)
    yield root
    for folder in root.glob("align-pg-*"):  # whatever a failed assertion left
        pid_file = folder / "data" / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split("\n", 1)[0])
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(root, ignore_errors=True)


def _restores_of(dump: str) -> list[int]:
    """Live pg_restore processes reading ``dump``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv = cmdline.split(b"\0")
        if (
            argv[0].endswith(b"pg_restore")
            and dump.encode() in argv
            and process_alive(int(entry.name))
        ):
            found.append(int(entry.name))
    return found


async def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_bot_killed_during_rehearsal_restore_leaves_nothing_after_cleanup(
    make_db, tmp_path: Path, scratch_root: Path
) -> None:
    prod = await make_db(
        "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, note text);"
        f"INSERT INTO customers SELECT i, 'person' || i || '@example.com', repeat('x', 40) "
        f"FROM generate_series(1, {ROWS}) AS i;"
    )
    dump_dir = tmp_path / "dumps"
    provider = PgDumpProvider(target_name="prod", database_url=prod, dump_dir=dump_dir)
    snapshot = await provider.create(run_id="20261201-0001")
    spec = {"url": prod, "dump_dir": str(dump_dir), "snapshot": snapshot.to_json()}

    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BOT,
        json.dumps(spec),
        env={**os.environ, "TMPDIR": str(scratch_root)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        # The worst moment: pg_restore is loading production's rows into the copy. Freeze it
        # there, so the kill lands mid-restore whatever the machine's speed.
        restores = await _wait_for(
            lambda: _restores_of(snapshot.path), timeout=60, what="pg_restore to start"
        )
        for pid in restores:
            os.kill(pid, signal.SIGSTOP)
        bot.kill()
        await bot.wait()

        # The tool process dies with the bot (SIGKILL reaches even a stopped process).
        await _wait_for(
            lambda: not _restores_of(snapshot.path), timeout=10, what="pg_restore to die"
        )
        # The copy is still there: a running cluster nobody owns any more.
        left = await asyncio.to_thread(find_leftovers, scratch_root)
        assert [x.purpose for x in left] == ["rehearsal"]
        assert left[0].owner["run_id"] == "20261201-0001"
        assert left[0].owner["target"] == "prod"
        postmaster = PgCluster(left[0].path).postmaster_pid()
        assert postmaster is not None and process_alive(postmaster)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()

    state = await Store.open(await make_db(), max_size=2)
    try:
        removed = await clean_leftovers(state, root=scratch_root)
        assert [x.path for x in removed] == [left[0].path]
        assert not left[0].path.exists()
        await _wait_for(
            lambda: not process_alive(postmaster), timeout=10, what="the copy's server to stop"
        )
        events = [e for e in await state.audit_events() if e.action == AUDIT_ACTION]
        assert len(events) == 1
        assert events[0].run_id == "20261201-0001"
        assert events[0].target == "prod"
        assert events[0].detail["what"] == "rehearsal cluster"
        assert events[0].detail["size_bytes"] > 1_000_000  # it was a real copy
        # Nothing else to do the second time.
        assert await clean_leftovers(state, root=scratch_root) == []
    finally:
        await state.close()


async def test_clusters_with_a_live_owner_are_never_touched(scratch_root: Path) -> None:
    mine = await PgCluster.start_ephemeral(parent=scratch_root, purpose="rehearsal")
    try:
        # Another live process's cluster (here: our parent, pytest's launcher or init).
        other = scratch_root / "align-pg-other"
        other.mkdir()
        owner = {"pid": os.getppid(), "pid_started": None, "purpose": "rehearsal"}
        (other / OWNER_FILE).write_text(json.dumps(owner))
        # A folder without an owner record is not ours to judge.
        (scratch_root / "align-pg-unknown").mkdir()

        assert await asyncio.to_thread(find_leftovers, scratch_root) == []
        conn = await asyncpg.connect(mine.url())
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    finally:
        await mine.stop(delete=True)


async def test_a_dead_owners_folder_and_a_reused_pid_are_leftovers(scratch_root: Path) -> None:
    dead = scratch_root / "align-pg-dead"
    dead.mkdir()
    # pid 1 is alive, but it is not the process that wrote this record: pid reused.
    (dead / OWNER_FILE).write_text(json.dumps({"pid": 1, "pid_started": "-1", "purpose": "x"}))
    found = await asyncio.to_thread(find_leftovers, scratch_root)
    assert [x.path for x in found] == [dead]

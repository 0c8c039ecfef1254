"""What a bot process that died leaves behind, found and removed.

The bot starts throwaway PostgreSQL clusters (rehearsal copies restored from a production dump,
schema files loaded to be read). Each is stopped and deleted when its step ends — unless the
process is killed first (SIGKILL, OOM, a node lost): then a full copy of production, personal
data included, keeps running on this machine. Every such cluster's folder names its owner
(``owner.json``, written by :meth:`PgCluster.start_ephemeral`): a folder whose owner process is
gone (or is this process, which no longer tracks it) is a leftover. Leftovers are removed at
start-up (``align serve``, ``align run``) and by the retention job, and each removal is
audited by the caller. Tool processes (``pg_restore`` into such a copy, ``pg_dump``) do not
outlive the bot in the first place: bot/shell.py starts them with a parent-death signal.

Clusters whose owner is alive — another bot process, a test session — are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.pgcluster import (
    EPHEMERAL_PREFIX,
    LIVE_EPHEMERAL,
    OWNER_FILE,
    PgCluster,
    PgClusterError,
    process_alive,
    process_started,
)

log = logging.getLogger(__name__)

__all__ = ["Leftover", "clean_leftovers", "find_leftovers", "remove_leftovers"]

AUDIT_ACTION = "cleanup.leftover"


class _Auditor(Protocol):
    def audit(self, actor: str, action: str, **fields: Any) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Leftover:
    """A throwaway cluster folder whose owner is gone; ``owner`` is its ``owner.json``."""

    path: Path
    owner: dict[str, Any]
    size_bytes: int = 0

    @property
    def purpose(self) -> str:
        return str(self.owner.get("purpose") or "scratch")

    def describe(self) -> dict[str, Any]:
        """The audit record's detail: what it was, whose, and what was done."""
        return {
            "what": f"{self.purpose} cluster",
            "path": str(self.path),
            "owner_pid": self.owner.get("pid"),
            "created_at": self.owner.get("created_at"),
            "run_id": self.owner.get("run_id"),
            "size_bytes": self.size_bytes,
        }


def _owner_gone(owner: dict[str, Any], path: Path) -> bool:
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False  # not ours to judge: leave it
    if pid == os.getpid():
        return path not in LIVE_EPHEMERAL
    now_started = process_started(pid)
    return now_started is None or owner.get("pid_started") not in (None, now_started)


def find_leftovers(root: Path | None = None) -> list[Leftover]:
    """Throwaway cluster folders under ``root`` (the temporary directory by default) whose
    owner process is gone. Blocking (reads a few small files); call via a thread."""
    root = Path(root or tempfile.gettempdir())
    found: list[Leftover] = []
    for path in sorted(root.glob(f"{EPHEMERAL_PREFIX}*")):
        try:
            owner = json.loads((path / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # no owner file: not made by a bot that records one; never guessed at
        if isinstance(owner, dict) and _owner_gone(owner, path):
            found.append(Leftover(path, owner, _size(path)))
    return found


async def remove_leftovers(root: Path | None = None) -> list[Leftover]:
    """Stop and delete every leftover cluster under ``root``; returns what was removed (the
    caller audits each). One that cannot be removed is logged and retried next time."""
    removed: list[Leftover] = []
    for leftover in await asyncio.to_thread(find_leftovers, root):
        try:
            await _remove(leftover.path)
        except (OSError, PgClusterError) as exc:
            log.warning("could not remove the leftover cluster %s: %s", leftover.path, exc)
            continue
        log.warning(
            "removed a %s cluster left by a process that died (%s)", leftover.purpose, leftover.path
        )
        removed.append(leftover)
    return removed


async def clean_leftovers(store: _Auditor, *, root: Path | None = None) -> list[Leftover]:
    """Remove every leftover and write one ``cleanup.leftover`` audit row for each (what, whose
    run, how big). Never raises: a failed clean-up must not stop the bot from starting."""
    try:
        removed = await remove_leftovers(root)
    except Exception:
        log.exception("the leftover clean-up failed; it runs again at the next start-up")
        return []
    for leftover in removed:
        try:
            await store.audit(
                "align-bot",
                AUDIT_ACTION,
                run_id=leftover.owner.get("run_id"),
                target=leftover.owner.get("target"),
                detail=leftover.describe(),
            )
        except Exception as exc:  # the store may be down: the removal's log line remains
            log.warning("could not audit the removal of %s: %s", leftover.path, exc)
    return removed


async def _remove(path: Path) -> None:
    cluster = PgCluster(path, ephemeral=True)
    with contextlib.suppress(PgClusterError):
        await cluster.stop()  # pg_ctl -m fast: ends the sessions (a pg_restore still loading)
    pid = cluster.postmaster_pid()
    if pid is not None and process_alive(pid) and _is_postgres(pid):
        os.kill(pid, signal.SIGKILL)  # pg_ctl missing or refusing: the data goes anyway
        for _ in range(200):
            if not process_alive(pid):
                break
            await asyncio.sleep(0.025)
    await asyncio.to_thread(shutil.rmtree, path)


def _is_postgres(pid: int) -> bool:
    """Guard against a reused pid: only a postgres server process is ever signalled."""
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _size(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_size
    return total

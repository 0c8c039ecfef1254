"""Snapshots as ``pg_dump`` custom-format files; restore and rehearsal copies with ``pg_restore``.

Works with any PostgreSQL server the bot can reach. The dump is one consistent MVCC snapshot of
the database; it holds ACCESS SHARE locks while it runs (DDL waits behind it), and
``--lock-wait-timeout`` makes it give up rather than queue behind a long lock.

Restore makes production's schema *and* data equal to the dump, atomically: one ``psql`` session
runs a prelude that drops every non-system schema (see :mod:`bot.snapshots.reset`) followed by
the ``pg_restore --single-transaction`` script; the only ``COMMIT`` is the script's last line, so
a failure anywhere leaves production untouched. The prelude re-creates ``public`` as initdb does,
so the restore works whatever became of production's ``public`` (dropped, re-created, another
owner). Afterwards the restored schema is compared with
the dump's (``pg_dump --schema-only`` both sides) and a difference is reported as an error.

Rehearsal copies never touch the production server: the dump is restored into a scratch
cluster the bot starts itself (:meth:`bot.pgcluster.PgCluster.start_ephemeral`) by a role that
only owns the copy, and the cluster is deleted when the rehearsal ends, fails or is cancelled.
Passwords reach the tools through ``PGPASSWORD`` (:mod:`.pgtools`), never their arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bot.errors import SnapshotError
from bot.files import private_dir, write_private
from bot.pgcluster import PgCluster, PgClusterError
from bot.secrets import Masker
from bot.snapshots.base import AVAILABLE, DELETED, RESTORED, Clock, CopyContext, SnapshotInfo
from bot.snapshots.base import now_utc as _now
from bot.snapshots.pgtools import PgConn, PgTools, scratch_name
from bot.snapshots.reset import ProductionState, dump_public_owner, fetch_state, render_prelude

__all__ = ["PgDumpProvider", "REHEARSAL_PREFIX", "REHEARSAL_ROLE"]

log = logging.getLogger(__name__)

REHEARSAL_PREFIX = "align_rehearsal_"
REHEARSAL_ROLE = "align_rehearsal"
RESTORE_HINT = (
    "the rehearsal copy is restored on a local scratch cluster (this machine's PostgreSQL, "
    "which must be the production server's major version or newer) by a role that is not a "
    "superuser: untrusted extensions and policies naming production's roles cannot be "
    'restored; set rehearsal = "off" for this target if that is the cause'
)
DEFAULT_TIMEOUT_S = 3600.0
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class PgDumpProvider:
    """``pg_dump`` snapshots of one target's production database into ``dump_dir``."""

    name = "pg_dump"

    def __init__(
        self,
        *,
        target_name: str,
        database_url: str,
        dump_dir: Path,
        masker: Masker | None = None,
        clock: Clock | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        tools: PgTools | None = None,
    ) -> None:
        self.target_name = target_name
        self.production = PgConn(database_url)
        self.dump_dir = Path(dump_dir)
        self.clock = clock
        self.timeout_s = timeout_s
        self.tools = tools or PgTools(masker=masker)

    # ----------------------------------------------------------------- create
    async def create(self, *, run_id: str, schema_only: bool = False) -> SnapshotInfo:
        """Dump production to ``<dir>/<target>-<run_id>.dump`` (``schema_only``: no data; used
        by provider "none" for schema-only rehearsals)."""
        stem = f"{_SAFE.sub('_', self.target_name)}-{_SAFE.sub('_', run_id)}"
        path = self.dump_dir / f"{stem}.dump"
        try:  # a dump holds production rows: 0700 folder, and a 0600 file that pg_dump
            # then truncates and fills (it keeps an existing file's mode, whatever its umask)
            await asyncio.to_thread(private_dir, self.dump_dir)
            await asyncio.to_thread(write_private, path, b"")
        except OSError as exc:
            raise SnapshotError(f"cannot create the dump file {path}: {exc}") from exc
        created_at = _now(self.clock)
        argv = [
            await self.tools.path("pg_dump"),
            "-Fc",
            "--lock-wait-timeout=30s",
            *(["--schema-only"] if schema_only else []),
            "-f",
            str(path),
            self.production.tool_url,
        ]
        try:
            result = await self.tools.run(
                argv,
                conn=self.production,
                timeout=self.timeout_s,
                action=f"pg_dump of {self.production.label}",
            )
        except BaseException:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        size = (await asyncio.to_thread(path.stat)).st_size
        log.info("snapshot taken: %s (%d bytes)", path, size)
        return SnapshotInfo(
            provider=self.name,
            id=path.name,
            name=stem,
            created_at=created_at,
            status=AVAILABLE,
            path=str(path),
            size_bytes=size,
            detail={
                "run_id": run_id,
                "schema_only": schema_only,
                "database": self.production.label,
                "duration_s": round(result.duration_s, 3),
                "tool": argv[0],
            },
        )

    # ----------------------------------------------------------------- restore
    async def restore(self, info: SnapshotInfo) -> SnapshotInfo:
        path = await self._existing_dump(info)
        toc = await self._toc(path)
        prelude = render_prelude(await self._production_state(dump_public_owner(toc)))
        with tempfile.TemporaryDirectory(prefix="align-restore-") as tmp:
            prelude_file = Path(tmp) / "prelude.sql"
            await asyncio.to_thread(prelude_file.write_text, prelude)
            pg_restore = await self.tools.path("pg_restore")
            psql = await self.tools.path("psql")
            script = (
                "set -o pipefail; "
                f"{shlex.quote(pg_restore)} --no-owner --single-transaction --exit-on-error "
                f"-f - {shlex.quote(str(path))} | "
                f"{shlex.quote(psql)} -X -q -o /dev/null -v ON_ERROR_STOP=1 "
                f"-d {shlex.quote(self.production.tool_url)} "
                f"-f {shlex.quote(str(prelude_file))} -f -"
            )
            result = await self.tools.run(
                ["bash", "-c", script],
                conn=self.production,
                timeout=self.timeout_s,
                action=f"restoring {path.name} into {self.production.label}",
                hint="Production was not changed: the restore runs in one transaction.",
            )
        await self._verify_schema(path)
        log.warning("production %s restored from %s", self.production.label, path)
        return info.with_status(
            RESTORED,
            restored_at=_now(self.clock).isoformat(),
            restore_duration_s=round(result.duration_s, 3),
        )

    async def _production_state(self, public_owner: str | None) -> ProductionState:
        conn = await self.tools.connect(self.production, action="restore")
        try:
            return await fetch_state(conn, public_owner=public_owner)
        except asyncpg.PostgresError as exc:
            raise SnapshotError(
                f"cannot read the schemas of {self.production.label} before the restore: {exc}"
            ) from exc
        finally:
            await conn.close()

    async def _toc(self, path: Path) -> str:
        with tempfile.TemporaryDirectory(prefix="align-toc-") as tmp:
            out = Path(tmp) / "toc.txt"
            await self.tools.run(
                [await self.tools.path("pg_restore"), "-l", "-f", str(out), str(path)],
                conn=self.production,
                timeout=120,
                action=f"reading the table of contents of {path.name}",
            )
            return await asyncio.to_thread(out.read_text)

    async def _verify_schema(self, path: Path) -> None:
        """The restored schema must be the dump's: compare both renderings, comments aside."""
        with tempfile.TemporaryDirectory(prefix="align-verify-") as tmp:
            expected, actual = Path(tmp) / "expected.sql", Path(tmp) / "actual.sql"
            await self.tools.run(
                [
                    await self.tools.path("pg_restore"),
                    "--schema-only",
                    "--no-owner",
                    "-f",
                    str(expected),
                    str(path),
                ],
                conn=self.production,
                timeout=self.timeout_s,
                action=f"reading the schema of {path.name}",
            )
            await self.tools.run(
                [
                    await self.tools.path("pg_dump"),
                    "--schema-only",
                    "--no-owner",
                    "-f",
                    str(actual),
                    self.production.tool_url,
                ],
                conn=self.production,
                timeout=self.timeout_s,
                action=f"reading the restored schema of {self.production.label}",
            )
            want = _schema_lines(await asyncio.to_thread(expected.read_text))
            got = _schema_lines(await asyncio.to_thread(actual.read_text))
        if want != got:
            first = next(
                (f"expected {w!r}, found {g!r}" for w, g in zip(want, got, strict=False) if w != g),
                f"expected {len(want)} schema lines, found {len(got)}",
            )
            raise SnapshotError(
                f"restore of {path.name} finished but the schema of {self.production.label} "
                f"differs from the snapshot ({first}); inspect production before using it"
            )

    # ----------------------------------------------------------------- delete / prune
    async def delete(self, info: SnapshotInfo) -> SnapshotInfo:
        if info.path:
            try:
                await asyncio.to_thread(Path(info.path).unlink, missing_ok=True)
            except OSError as exc:
                raise SnapshotError(f"cannot delete the dump {info.path}: {exc}") from exc
        return info.with_status(DELETED, deleted_at=_now(self.clock).isoformat())

    async def prune(self, *, older_than: datetime) -> list[SnapshotInfo]:
        """Delete this target's dump files modified before ``older_than``."""
        prefix = f"{_SAFE.sub('_', self.target_name)}-"

        def expired() -> list[tuple[Path, float, int]]:
            if not self.dump_dir.is_dir():
                return []
            found = []
            for p in self.dump_dir.glob(f"{prefix}*.dump"):
                st = p.stat()
                if st.st_mtime < older_than.timestamp():
                    found.append((p, st.st_mtime, st.st_size))
            return found

        removed = []
        for path, mtime, size in await asyncio.to_thread(expired):
            info = SnapshotInfo(
                provider=self.name,
                id=path.name,
                name=path.stem,
                created_at=datetime.fromtimestamp(mtime, UTC),
                path=str(path),
                size_bytes=size,
            )
            removed.append(await self.delete(info))
        return removed

    # ----------------------------------------------------------------- rehearsal copy
    def open_copy(self, info: SnapshotInfo, *, schema_only: bool) -> CopyContext:
        return CopyContext(self._copy(info, schema_only=schema_only))

    @contextlib.asynccontextmanager
    async def _copy(self, info: SnapshotInfo, *, schema_only: bool) -> AsyncIterator[str]:
        """Restore the dump into a scratch cluster of the bot's own (never the production
        server: the rehearsal runs SQL nobody has reviewed yet), as an unprivileged role that
        owns the copy; the cluster is stopped and deleted on exit, error or cancel alike."""
        path = await self._existing_dump(info)
        name = scratch_name(REHEARSAL_PREFIX, info.detail.get("run_id") or info.name)
        try:
            cluster = await PgCluster.start_ephemeral(
                purpose="rehearsal",
                run_id=str(info.detail.get("run_id") or ""),
                target=self.target_name,
                snapshot=info.name,
            )
        except PgClusterError as exc:
            raise SnapshotError(f"cannot start a scratch cluster for the rehearsal: {exc}") from exc
        try:
            try:
                copy = PgConn(await cluster.create_owned_database(name, owner=REHEARSAL_ROLE))
            except (OSError, asyncpg.PostgresError, PgClusterError) as exc:
                raise SnapshotError(f"cannot create the rehearsal database {name}: {exc}") from exc
            await self.tools.run(
                [
                    await self.tools.path("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    *(["--schema-only"] if schema_only else []),
                    "-d",
                    copy.tool_url,
                    str(path),
                ],
                conn=copy,
                timeout=self.timeout_s,
                action=f"restoring {path.name} into the rehearsal database {name}",
                hint=RESTORE_HINT,
            )
            yield copy.url
        finally:
            await asyncio.shield(cluster.stop(delete=True))

    async def _existing_dump(self, info: SnapshotInfo) -> Path:
        if info.provider != self.name or not info.path:
            raise SnapshotError(f"snapshot {info.id} is not a pg_dump file")
        path = Path(info.path)
        if not await asyncio.to_thread(path.is_file):
            raise SnapshotError(f"the dump file {path} no longer exists (deleted by retention?)")
        return path


def _schema_lines(text: str) -> list[str]:
    """Schema DDL without comments, blank lines and per-dump ``\\restrict`` keys."""
    return [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    ]

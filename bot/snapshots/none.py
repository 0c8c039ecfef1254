"""Provider "none": the target's config says explicitly that no snapshot is taken.

Nothing can be restored. A *schema-only* rehearsal is still possible without a snapshot: the
copy is made from production's current schema (``pg_dump --schema-only``, restored into a
scratch cluster of the bot's own, never on production's server), which is exactly what
production looks like before apply since nothing has changed yet. A *full* rehearsal would
need a copy of the data — that is a snapshot in all but name, which the config ruled out — so
it is refused with a message saying what to configure.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from bot.errors import SnapshotError
from bot.secrets import Masker
from bot.snapshots.base import SKIPPED, Clock, CopyContext, SnapshotInfo, now_utc
from bot.snapshots.pgdump import PgDumpProvider
from bot.snapshots.pgtools import PgTools

__all__ = ["NoSnapshotProvider"]

NO_SNAPSHOT = 'no snapshot was taken for this target (snapshot = "none")'


class NoSnapshotProvider:
    name = "none"

    def __init__(
        self,
        *,
        target_name: str,
        database_url: str,
        masker: Masker | None = None,
        clock: Clock | None = None,
        timeout_s: float = 600.0,
        tools: PgTools | None = None,
    ) -> None:
        self.target_name = target_name
        self.database_url = database_url
        self.masker = masker
        self.clock = clock
        self.timeout_s = timeout_s
        self.tools = tools or PgTools(masker=masker)

    async def create(self, *, run_id: str) -> SnapshotInfo:
        return SnapshotInfo(
            provider=self.name,
            id="none",
            name="none",
            created_at=now_utc(self.clock),
            status=SKIPPED,
            detail={"run_id": run_id, "reason": 'snapshot = "none" in the target\'s config'},
        )

    async def restore(self, info: SnapshotInfo) -> SnapshotInfo:
        raise SnapshotError(NO_SNAPSHOT)

    async def delete(self, info: SnapshotInfo) -> SnapshotInfo:
        return info  # nothing was stored

    async def prune(self, *, older_than: datetime) -> list[SnapshotInfo]:
        return []

    def open_copy(self, info: SnapshotInfo, *, schema_only: bool) -> CopyContext:
        return CopyContext(self._copy(info, schema_only=schema_only))

    @contextlib.asynccontextmanager
    async def _copy(self, info: SnapshotInfo, *, schema_only: bool) -> AsyncIterator[str]:
        if not schema_only:
            raise SnapshotError(
                f"{NO_SNAPSHOT}, so there is no copy of production's data to rehearse on; "
                'set rehearsal = "schema-only" (or "off") for this target, or configure a '
                "snapshot provider"
            )
        with tempfile.TemporaryDirectory(prefix="align-schema-") as tmp:
            # A schema-only dump of production *now* stands in for the snapshot.
            dumper = PgDumpProvider(
                target_name=self.target_name,
                database_url=self.database_url,
                dump_dir=Path(tmp),
                clock=self.clock,
                timeout_s=self.timeout_s,
                tools=self.tools,
            )
            run_id = str(info.detail.get("run_id") or "schema")
            schema = await dumper.create(run_id=run_id, schema_only=True)
            async with dumper.open_copy(schema, schema_only=True) as url:
                yield url

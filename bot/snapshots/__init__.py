"""Snapshot providers: take a snapshot of production before it is changed, restore it on
request, and make throwaway copies of it for rehearsals.

    provider = provider_for(target, data_dir=settings.data_dir, masker=settings.masker())
    info = await provider.create(run_id=run.id)            # SnapshotError on failure
    async with provider.open_copy(info, schema_only=False) as url:
        ...                                                # rehearse on the copy at ``url``
    await provider.restore(info)                           # only after a person confirmed

Providers: ``neon`` (:mod:`.neon`), ``pg_dump`` (:mod:`.pgdump`), ``none`` (:mod:`.none`).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.config import Target
from bot.errors import SnapshotError
from bot.secrets import Masker
from bot.snapshots.base import (
    AVAILABLE,
    DELETED,
    RESTORED,
    SKIPPED,
    Clock,
    CopyContext,
    SnapshotInfo,
    SnapshotProvider,
)
from bot.snapshots.neon import NeonProvider
from bot.snapshots.neon_client import NeonClient, RetryPolicy
from bot.snapshots.none import NoSnapshotProvider
from bot.snapshots.pgdump import PgDumpProvider

__all__ = [
    "AVAILABLE",
    "DELETED",
    "RESTORED",
    "SKIPPED",
    "CopyContext",
    "NeonClient",
    "NeonProvider",
    "NoSnapshotProvider",
    "PgDumpProvider",
    "RetryPolicy",
    "SnapshotInfo",
    "SnapshotProvider",
    "provider_for",
]


def provider_for(
    target: Target,
    *,
    data_dir: Path,
    masker: Masker | None,
    clock: Clock | None = None,
    session: aiohttp.ClientSession | None = None,
    timeout_s: float | None = None,
) -> SnapshotProvider:
    """The provider the target's config names. ``data_dir``: dumps go to
    ``target.pg_dump_dir`` or ``data_dir/snapshots``; ``session``: a shared aiohttp session for
    Neon (one per call otherwise); ``timeout_s``: limit for each pg_dump/pg_restore run."""
    url = target.database_url.value
    if target.snapshot == "pg_dump":
        return PgDumpProvider(
            target_name=target.name,
            database_url=url,
            dump_dir=target.pg_dump_dir or Path(data_dir) / "snapshots",
            masker=masker,
            clock=clock,
            **({"timeout_s": timeout_s} if timeout_s else {}),
        )
    if target.snapshot == "neon":
        if target.neon is None:
            raise SnapshotError(
                f'target {target.name}: snapshot = "neon" needs a [targets.{target.name}.neon] '
                "table (api_key, project_id, branch_id)"
            )
        return NeonProvider(
            target_name=target.name,
            settings=target.neon,
            masker=masker,
            clock=clock,
            session=session,
        )
    if target.snapshot == "none":
        return NoSnapshotProvider(
            target_name=target.name,
            database_url=url,
            masker=masker,
            clock=clock,
            **({"timeout_s": timeout_s} if timeout_s else {}),
        )
    raise SnapshotError(
        f"target {target.name}: unknown snapshot provider {target.snapshot!r} "
        '(expected "neon", "pg_dump" or "none")'
    )

"""Retention: delete snapshots and dump files older than ``schedules.retention_days``.

Only snapshots go (each provider's ``prune`` deletes what *it* made for that target: dump files,
Neon snapshots/branches). Run folders (reports, reviewed SQL) stay: they are the audit trail.
Every deletion is recorded in the audit log (``retention.deleted``), and a run whose snapshot
was deleted gets ``run.data["snapshot"]["status"] = "deleted"`` so nobody is offered a restore
that can no longer happen. Old job-lease rows are forgotten too, and throwaway clusters a dead
process left behind (bot/leftovers.py) are removed and audited (``cleanup.leftover``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.errors import AlignError
from bot.jobs.deps import JobDeps
from bot.leftovers import clean_leftovers
from bot.log import log_context
from bot.snapshots import DELETED, SnapshotInfo, provider_for

log = logging.getLogger(__name__)

__all__ = ["prune_snapshots"]


async def prune_snapshots(deps: JobDeps) -> dict[str, Any]:
    """Prune every target; returns ``{target: [deleted snapshot ids] | "error"}``."""
    now = deps.clock.now()
    older_than = now - timedelta(days=deps.settings.schedules.retention_days)
    results: dict[str, Any] = {}
    masker = deps.settings.masker()
    for name in sorted(deps.settings.targets):
        with log_context(target=name, step="retention"):
            provider = provider_for(
                deps.settings.targets[name],
                data_dir=deps.settings.data_dir,
                masker=masker,
                clock=deps.clock.now,
            )
            try:
                removed = await provider.prune(older_than=older_than)
                for info in removed:
                    await _record(deps, name, info)
            except AlignError as exc:
                log.warning("retention failed: %s", exc.message)
                results[name] = "error"
                continue
            except Exception:
                log.exception("retention crashed")
                results[name] = "error"
                continue
        results[name] = [info.id for info in removed]
    results["job_leases_forgotten"] = await deps.store.prune_job_runs(older_than=older_than)
    results["leftovers_removed"] = [str(x.path) for x in await clean_leftovers(deps.store)]
    return results


async def _record(deps: JobDeps, target: str, info: SnapshotInfo) -> None:
    await deps.store.audit(
        "align-bot",
        "retention.deleted",
        target=target,
        detail={
            "provider": info.provider,
            "id": info.id,
            "name": info.name,
            "created_at": info.created_at.isoformat(),
            "path": info.path,
            "size_bytes": info.size_bytes,
            "retention_days": deps.settings.schedules.retention_days,
        },
    )
    for run in await deps.store.runs_with_snapshot(target, [info.id]):
        snapshot = dict(run.data.get("snapshot") or {})
        snapshot.update(status=DELETED, deleted_at=deps.clock.now().isoformat())
        await deps.store.update_run(run.id, data={"snapshot": snapshot})
    log.info("snapshot deleted by retention", extra={"snapshot_id": info.id})

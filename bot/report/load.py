"""Reading one run's records from the store into a :class:`ReportData` (the report's I/O edge)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from bot.errors import StoreError
from bot.report.build import build_report
from bot.report.model import ReportData, ReportLabels
from bot.secrets import Masker
from bot.store import Store

__all__ = ["load_report"]


async def load_report(
    store: Store,
    run_id: str,
    *,
    masker: Masker,
    labels: ReportLabels | None = None,
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ReportData:
    """The report of run ``run_id``; StoreError when the store has no such run."""
    run = await store.get_run(run_id)
    if run is None:
        raise StoreError(f"no run '{run_id}' in the state database {store.label}")
    steps, decisions, recovery, audit = await asyncio.gather(
        store.steps(run_id),
        store.decisions(run_id),
        store.recovery_actions(run_id),
        store.audit_events(run_id=run_id),
    )
    return build_report(
        run,
        steps=steps,
        decisions=decisions,
        recovery=recovery,
        audit=audit,
        labels=labels,
        names=names,
        masker=masker,
        generated_at=now or datetime.now(UTC),
    )

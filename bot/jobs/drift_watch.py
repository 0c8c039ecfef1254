"""Drift watch: compare each target's production schema with its desired schema (built-in
differ, read-only) and tell the channel when production drifts.

Silent while in sync. One alert per distinct drift: the drift's signature (a hash of the SQL
that would align production) is remembered per target in the store, and a post goes out only
when the signature differs from the last one seen — drift appearing, or drift changing. When
production comes back in sync after a reported drift, one short "back in sync" note is posted.
A failed post leaves the remembered state as it was, so the next firing tries again.
Targets with a run in progress are skipped (the run is already looking at production).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.errors import AlignError, NotifyError
from bot.jobs.deps import JobDeps, channel_for
from bot.log import log_context
from bot.slack.blocks import Message
from bot.slack.notices import back_in_sync_message, drift_alert_message
from bot.workflow.drift import Drift, check_drift

log = logging.getLogger(__name__)

__all__ = ["watch_drift"]


async def watch_drift(deps: JobDeps) -> dict[str, Any]:
    """Check every configured target once; returns ``{target: result}``."""
    results: dict[str, Any] = {}
    for name in sorted(deps.settings.targets):
        with log_context(target=name, step="drift_watch"):
            try:
                result = await _watch_target(deps, name)
            except Exception:  # one target's failure never stops the others
                log.exception("drift check crashed")
                result = "error"
        deps.metrics.drift_checks.inc(target=name, result=result)
        results[name] = result
    return results


async def _watch_target(deps: JobDeps, name: str) -> str:
    target = deps.settings.targets[name]
    if target.desired_url is None and target.desired_schema_file is None:
        log.debug("drift watch skipped: no desired_url or desired_schema_file")
        return "skipped"
    if await deps.store.active_run(name) is not None:
        log.info("drift watch skipped: a run is in progress")
        return "busy"
    try:
        drift = await check_drift(target)
    except AlignError as exc:
        log.warning("drift check failed: %s", exc.message)
        return "error"
    now = deps.clock.now()
    deps.metrics.drift_statements.set(len(drift.statements), target=name)
    previous = await deps.store.drift_state(name)
    if drift.in_sync:
        if previous is not None and not previous.in_sync and previous.alerted_at is not None:
            if not await _post(deps, name, back_in_sync_message(target=name, checked_at=now)):
                return "error"
            log.info("drift resolved: back in sync")
        await deps.store.save_drift_state(
            name, signature=None, in_sync=True, statements=0, checked_at=now, alerted_at=None
        )
        return "in_sync"
    if previous is not None and previous.signature == drift.signature:
        await deps.store.save_drift_state(
            name,
            signature=drift.signature,
            in_sync=False,
            statements=len(drift.statements),
            checked_at=now,
            alerted_at=None,
        )
        return "drift"
    changed = previous is not None and not previous.in_sync
    message = _alert(drift, now=now, changed=changed)
    if not await _post(deps, name, message):
        return "error"
    log.warning(
        "drift detected: %d statement(s), %d destructive",
        len(drift.statements),
        drift.destructive,
        extra={"signature": drift.signature},
    )
    await deps.store.save_drift_state(
        name,
        signature=drift.signature,
        in_sync=False,
        statements=len(drift.statements),
        checked_at=now,
        alerted_at=now,
    )
    await deps.store.audit(
        "align-bot",
        "drift.alerted",
        target=name,
        detail={
            "signature": drift.signature,
            "statements": len(drift.statements),
            "destructive": drift.destructive,
        },
    )
    return "drift"


def _alert(drift: Drift, *, now: datetime, changed: bool) -> Message:
    return drift_alert_message(
        target=drift.target,
        objects=drift.objects,
        destructive=drift.destructive,
        signature=drift.signature,
        checked_at=now,
        changed=changed,
        unplanned=drift.unplanned,
    )


async def _post(deps: JobDeps, target: str, message: Message) -> bool:
    channel = channel_for(deps.settings, target)
    if channel is None:
        log.warning("drift notice not posted: no channel configured (bot.channel)")
        return False
    try:
        await deps.notifier.post_message(channel, message)
    except NotifyError as exc:
        log.warning("drift notice not posted: %s", exc.message)
        return False
    return True

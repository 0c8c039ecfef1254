"""What every scheduled job needs, passed explicitly (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics
from bot.slack.notifier import Notifier
from bot.store import Run, Store

__all__ = ["JobDeps", "channel_for"]


@dataclass(frozen=True)
class JobDeps:
    settings: Settings
    store: Store
    notifier: Notifier
    clock: Clock
    metrics: Metrics


def channel_for(settings: Settings, target: str, run: Run | None = None) -> str | None:
    """Where a notice about ``target`` (or one of its runs) goes: the run's channel, else the
    target's, else the bot's default channel."""
    if run is not None and run.channel:
        return run.channel
    configured = settings.targets.get(target)
    return (configured.channel if configured else None) or settings.channel

"""Scheduled jobs: plain async functions taking :class:`JobDeps`, wired by ``bot/scheduler.py``.

    drift_watch.watch_drift     production vs desired per target; alert once per distinct drift
    reminders.remind_reviews    nudge reviewers of runs waiting for review, and of deferred runs
    reminders.expire_approvals  say once that a run's approval window closed
    retention.prune_snapshots   delete snapshots/dumps older than the configured age

Each returns a small JSON-able summary (stored with the job's lease row and logged). Tests call
them directly with a FixedClock.
"""

from bot.jobs.deps import JobDeps

__all__ = ["JobDeps"]

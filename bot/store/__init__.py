"""Persistence of runs, steps, decisions, recovery actions, audit events, and scheduler state."""

from bot.store.records import AuditEvent, Decision, RecoveryAction, Run, StepRecord
from bot.store.store import Store, new_run_id

__all__ = ["AuditEvent", "Decision", "RecoveryAction", "Run", "StepRecord", "Store", "new_run_id"]

"""Everything the store recorded about one run, gathered for the section builders. Pure.

``Facts`` is a thin read-only view over the records (``run.data`` per run-data.md, the latest
attempt of each step, decisions, recovery actions, audit events) plus the configuration labels
and display names. Section builders read it and never see the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bot.report.display import latest_steps, person
from bot.report.model import ReportLabels
from bot.store.records import AuditEvent, Decision, RecoveryAction, Run, StepRecord
from bot.workflow.run import FINAL_STATES, RunState

__all__ = ["Facts"]

# Without a configured command the bot does these itself (both modes, see DESIGN.md).
_BUILTIN = {"apply": "built-in transactional apply"}


@dataclass(frozen=True)
class Facts:
    run: Run
    steps: tuple[StepRecord, ...] = ()
    decisions: tuple[Decision, ...] = ()
    recovery: tuple[RecoveryAction, ...] = ()
    audit: tuple[AuditEvent, ...] = ()
    labels: ReportLabels = field(default_factory=ReportLabels)
    names: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def step(self) -> dict[str, StepRecord]:
        return latest_steps(self.steps)

    @property
    def stopped(self) -> bool:
        """The run will not move any more (a step left running was cut short)."""
        return self.run.state in FINAL_STATES or self.run.state is RunState.DEFERRED

    def data(self, key: str) -> dict[str, Any]:
        value = (self.run.data or {}).get(key)
        return value if isinstance(value, dict) else {}

    def data_list(self, key: str) -> list[Any]:
        value = (self.run.data or {}).get(key)
        return value if isinstance(value, list) else []

    def who(self, user: str | None) -> str:
        return person(user, via=self.run.requested_via, names=self.names)

    @property
    def target_label(self) -> str:
        label = (self.run.data or {}).get("target_label") or self.labels.target_label
        return str(label or self.run.target)

    def command(self, step: str, recorded: object = None) -> str | None:
        """The command a step ran (recorded), else the one configured for it."""
        if recorded:
            return str(recorded)
        record = self.step.get(step)
        if record is not None and record.detail.get("command"):
            return str(record.detail["command"])
        return self.labels.commands.get(step) or _BUILTIN.get(step)

    def audit_by(self, action: str) -> AuditEvent | None:
        """The last audit event of ``action`` (e.g. ``run.cancelled``)."""
        found = [e for e in self.audit if e.action == action]
        return found[-1] if found else None

    def recovered(self, action: str) -> list[RecoveryAction]:
        return [r for r in self.recovery if r.action == action]

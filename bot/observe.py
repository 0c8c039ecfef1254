"""Operations view of runs: one structured log event per step transition, and run metrics.

``make_observer(metrics)`` returns a Runner listener (``Runner(listeners=[...])``). For each
event it logs one JSON line carrying ``run_id``, ``target`` and ``step`` (the step being run, or
the run's state between steps), and feeds ``/metrics``:

- ``align_runs_total{target,outcome}`` once per run reaching a final state (``in_sync``,
  ``out_of_sync``, ``rejected``, ``cancelled``, ``failed``, ``interrupted``);
- ``align_step_duration_seconds{step,status}`` from ``step_started``/``step_finished`` pairs, and
  for ``apply`` (which the runner drives without step events) from entering ``applying`` to
  leaving it.

Inside a run's own task (the runner names them ``run <id> …``) the observer also sets the log
context, so lines logged by step code (pg_dump, the differ, health checks) carry the run too.
It never sets the context in a caller's task (a Slack handler, the CLI), where it would leak
into unrelated lines. Secrets are masked by the log handler (bot/log.py), not here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from bot.log import bind_run_context, remember_run
from bot.metrics import Metrics
from bot.store import Run
from bot.workflow.context import Listener
from bot.workflow.run import FINAL_STATES, RunState

log = logging.getLogger("bot.run")

__all__ = ["make_observer", "outcome_label"]

_KEPT = 1024  # runs remembered for de-duplication and open timers


def outcome_label(run: Run) -> str:
    """The ``outcome`` label of ``align_runs_total`` for a run in a final state."""
    if run.state is RunState.DONE:
        return {"IN SYNC": "in_sync", "NOT VERIFIED": "not_verified"}.get(
            run.outcome or "", "out_of_sync"
        )
    return run.state.value


class _Observer:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.counted: OrderedDict[str, None] = OrderedDict()
        self.timers: dict[tuple[str, str], float] = {}
        self.current_step: dict[str, str] = {}

    async def __call__(self, run: Run, event: str, detail: dict[str, Any]) -> None:
        step = self._track(run, event, detail)
        remember_run(run.id, target=run.target, step=step)
        if _in_run_task(run.id):
            bind_run_context(run_id=run.id, target=run.target, step=step)
        fields = {k: v for k, v in detail.items() if isinstance(v, str | int | float | bool)}
        log.info(
            _describe(run, event, step, detail),
            extra={
                "run_id": run.id,
                "target": run.target,
                "step": step,
                "event": event,
                "state": run.state.value,
                **{f"detail_{k}": v for k, v in fields.items()},
            },
        )
        if run.state in FINAL_STATES and run.id not in self.counted:
            self.counted[run.id] = None
            while len(self.counted) > _KEPT:
                self.counted.popitem(last=False)
            self.metrics.runs.inc(target=run.target, outcome=outcome_label(run))

    def _track(self, run: Run, event: str, detail: dict[str, Any]) -> str:
        """Update step timers; return the step this event belongs to."""
        now = time.monotonic()
        if event == "step_started":
            step = str(detail.get("step"))
            self.timers[(run.id, step)] = now
            self.current_step[run.id] = step
            return step
        if event == "step_finished":
            step = str(detail.get("step"))
            self._observe(run.id, step, str(detail.get("status", "succeeded")), now)
            self.current_step.pop(run.id, None)
            return step
        if run.state is RunState.APPLYING and (run.id, "apply") not in self.timers:
            self.timers[(run.id, "apply")] = now
            self.current_step[run.id] = "apply"
            return "apply"
        if (run.id, "apply") in self.timers and run.state is not RunState.APPLYING:
            self._observe(run.id, "apply", "failed" if event == "failed" else "succeeded", now)
            self.current_step.pop(run.id, None)
        if event == "failed" and detail.get("step"):
            step = str(detail["step"])
            self._observe(run.id, step, "failed", now)  # a timed-out step sends no finish
            return step
        return self.current_step.get(run.id) or run.state.value

    def _observe(self, run_id: str, step: str, status: str, now: float) -> None:
        started = self.timers.pop((run_id, step), None)
        if started is not None:
            self.metrics.step_seconds.observe(now - started, step=step, status=status)
        if len(self.timers) > _KEPT:  # runs abandoned mid-step (process restarts)
            for key in list(self.timers)[: len(self.timers) - _KEPT]:
                del self.timers[key]


def _describe(run: Run, event: str, step: str, detail: dict[str, Any]) -> str:
    if event == "state":
        return f"run moved to {run.state.value}"
    if event == "step_started":
        return f"step {step} started"
    if event == "step_finished":
        return f"step {step} {detail.get('status', 'finished')}"
    return f"run {event.replace('_', ' ')} ({run.state.value})"


def _in_run_task(run_id: str) -> bool:
    task = asyncio.current_task()
    return task is not None and task.get_name().startswith(f"run {run_id} ")


def make_observer(metrics: Metrics) -> Listener:
    """A Runner listener that logs each step transition and records run metrics."""
    return _Observer(metrics)

"""The workflow in a terminal: live progress and the review prompt (``align run``, ``demo``)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, TextIO

from bot.review.model import Review
from bot.review.render import render_review_text
from bot.store import Run
from bot.workflow.run import RunState


class TerminalProgress:
    """A listener printing one line per step and state change, with elapsed time."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.started = time.monotonic()
        self._step_started: dict[str, float] = {}
        self.review: Review | None = None

    def _print(self, text: str) -> None:
        self.out.write(f"[{time.monotonic() - self.started:6.1f}s] {text}\n")
        self.out.flush()

    async def __call__(self, run: Run, event: str, detail: dict[str, Any]) -> None:
        if event == "created":
            self._print(f"run {run.id} on target '{run.target}' requested by {run.requested_by}")
        elif event == "state":
            self._print(f"→ {run.state.value}")
        elif event == "step_started":
            self._step_started[detail["step"]] = time.monotonic()
            self._print(f"  {detail['step']} …")
        elif event == "step_finished":
            took = time.monotonic() - self._step_started.get(detail["step"], time.monotonic())
            self._print(f"  {detail['step']}: {detail['status']} ({took:.1f}s)")
        elif event == "apply_progress" and (
            detail["done"] == detail["total"] or detail["done"] % 25 == 0
        ):
            self._print(f"  applied {detail['done']}/{detail['total']} statements")
        elif event == "awaiting_review":
            self.review = detail.get("review")
        elif event == "decided":
            self._print(f"  decision: {detail['decision'].upper()} by {detail['user']}")
        elif event in ("failed", "interrupted", "cancelled"):
            self._print(f"  {event}: {detail.get('error') or detail}")
        elif event == "finished":
            self._print(f"  outcome: {detail['outcome']}")
        elif event == "report":
            for path in detail.get("paths", []):
                self._print(f"  report written: {path}")


def review_card_text(run: Run, review: Review | None) -> str:
    """The review card as plain text: the same facts the Slack card shows."""
    data = run.data
    lines = [
        "=" * 72,
        f"REVIEW  plan {run.plan_id}  target {run.target} ({data.get('target_label', '')})",
        f"verdict: {data.get('review', {}).get('verdict', '?')}   "
        f"statements: {data.get('diff', {}).get('statement_count', 0)}   sha256: {run.sql_sha256}",
    ]
    rehearsal = data.get("rehearsal", {})
    status = rehearsal.get("status", "not run")
    lines.append(
        f"rehearsal: {status} {rehearsal.get('reason') or rehearsal.get('error') or ''}".rstrip()
    )
    warning = (data.get("lock_budget") or {}).get("warning")
    if warning:
        lines.append(f"WARNING (lock table): {warning}")
    if review is not None:
        lines.append(render_review_text(review, source=f"run {run.id}"))
    lines.append("=" * 72)
    return "\n".join(lines)


async def ask_decision(plan_id: str, who: str) -> str:
    """Read a decision on ``plan_id`` at the prompt without blocking the event loop."""
    prompt = f"decide on plan {plan_id} as {who}: approve / reject / defer? "
    while True:
        answer = (await asyncio.to_thread(input, prompt)).strip().lower()
        for decision in ("approve", "reject", "defer"):
            if answer and decision.startswith(answer):
                return decision
        print("please answer approve, reject or defer")


def is_waiting(run: Run) -> bool:
    return run.state is RunState.AWAITING_REVIEW


async def ask_reason() -> str:
    return (await asyncio.to_thread(input, "reason for rejecting: ")).strip()


async def ask_confirmation(target: str) -> str:
    """A DESTRUCTIVE plan is approved by typing the target's name, as in Slack's dialog."""
    prompt = f"this plan is DESTRUCTIVE: type the target's name ({target}) to approve: "
    return (await asyncio.to_thread(input, prompt)).strip()

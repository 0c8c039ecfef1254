"""RunMessenger: the Runner's Slack listener — one message per run, kept current, never in the
run's way.

The listener itself only records what is owed to Slack (in memory) and returns at once; a
supervised drain task per run does the Slack calls in order:

* one-shot jobs, in order: post the run message (its ``ts`` is stored on the run), post the
  review card in the thread and upload the full SQL there, close the card after a decision,
  post failure details (on-call mentioned, output tail), upload the report;
* the run message itself is re-rendered from the store whenever something changed, at most once
  per ``min_interval_s`` (a 20,000-statement apply edits it a few times, not 20,000), and always
  once more after the last event, so the final state is what stays visible.

A Slack error never reaches the run. Transient failures (429 after the client's own retries,
5xx, unreachable) keep the job at the head of the queue and retry with capped backoff: when Slack
answers again everything catches up in order. Permanent refusals (``channel_not_found``,
``invalid_blocks``…) drop that job with an error log so one bad message cannot block the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.errors import NotifyError
from bot.slack.blocks import Message, escape
from bot.slack.format import clip, mention, section
from bot.slack.notices import report_failed_message
from bot.slack.notifier import Notifier
from bot.slack.review_card import review_card
from bot.slack.run_message import RunView, run_message
from bot.store import Run, Store
from bot.tasks import SupervisorClosed, TaskSupervisor
from bot.workflow.run import RunState

log = logging.getLogger(__name__)

__all__ = ["RunMessenger", "is_transient"]

_TRANSIENT = {
    "ratelimited",
    "unreachable",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


def is_transient(exc: NotifyError) -> bool:
    error = str(exc.context.get("error") or "")
    return error in _TRANSIENT or error.startswith("http_5")


@dataclass
class _Job:
    name: str
    work: Callable[[], Awaitable[None]]
    attempts: int = 0


@dataclass
class _Outbox:
    run_id: str
    jobs: deque[_Job] = field(default_factory=deque)
    dirty: bool = False
    progress: tuple[int, int] | None = None
    last_update: float = 0.0
    task: asyncio.Task[Any] | None = None


class RunMessenger:
    """``Runner(listeners=[messenger])``; handlers call :meth:`touch` after acting on a run."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        notifier: Notifier,
        supervisor: TaskSupervisor,
        min_interval_s: float = 1.0,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.supervisor = supervisor
        self.min_interval_s = min_interval_s
        self.max_backoff_s = max_backoff_s
        self._boxes: dict[str, _Outbox] = {}

    # ------------------------------------------------------------------ listener
    async def __call__(self, run: Run, event: str, detail: dict[str, Any]) -> None:
        box = self._box(run.id)
        if event == "created":
            self._add(box, "post run message", lambda: self._post_run_message(run.id))
        elif event == "apply_progress":
            box.progress = (int(detail.get("done", 0)), int(detail.get("total", 0)))
        elif event == "awaiting_review":
            self._add(box, "post review card", lambda: self._post_card(run.id))
        elif event in ("decided", "approval_pending", "cancelled"):
            self._add(box, "update review card", lambda: self._update_card(run.id))
        elif event == "state" and run.state is RunState.DIFF:
            self._add(box, "supersede review card", lambda: self._update_card(run.id))
        elif event in ("failed", "interrupted"):
            self._add(box, "post failure", lambda: self._post_failure(run.id))
        elif event == "report_failed":
            note = report_failed_message(
                run_id=run.id,
                target=run.target,
                reason=str(detail.get("reason") or "no reason recorded"),
                stage=str(detail.get("stage") or "write"),
            )
            self._add(box, "report failure note", lambda: self._thread_post(run.id, note))
        elif event == "report":
            paths = list(detail.get("paths") or [])
            if paths:
                md = paths[0]
                self._add(box, "upload report", lambda: self._upload_report(run.id, md))
        box.dirty = True
        self._kick(box)

    def touch(self, run_id: str) -> None:
        """Re-render the run message (after a recovery action, at start-up)."""
        box = self._box(run_id)
        box.dirty = True
        self._kick(box)

    def post_in_thread(self, run_id: str, message: Message) -> None:
        box = self._box(run_id)
        self._add(box, "thread note", lambda: self._thread_post(run_id, message))
        self._kick(box)

    async def catch_up(self, *, limit: int = 50) -> None:
        """At start-up: re-render recent run messages (a previous process may have died while
        Slack was unreachable)."""
        for run in await self.store.list_runs(limit=limit):
            if run.message_ts and (not run.is_final or run.state is RunState.INTERRUPTED):
                self.touch(run.id)

    @property
    def pending(self) -> int:
        return sum(len(b.jobs) + b.dirty for b in self._boxes.values())

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until everything owed to Slack was delivered (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while any(b.task is not None for b in self._boxes.values()):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ drain
    def _box(self, run_id: str) -> _Outbox:
        box = self._boxes.get(run_id)
        if box is None:
            box = self._boxes[run_id] = _Outbox(run_id)
        return box

    def _add(self, box: _Outbox, name: str, work: Callable[[], Awaitable[None]]) -> None:
        box.jobs.append(_Job(name, work))

    def _kick(self, box: _Outbox) -> None:
        if box.task is not None:
            return
        try:
            box.task = self.supervisor.spawn(self._drain(box), name=f"slack {box.run_id}")
        except SupervisorClosed:
            log.warning("shutting down: Slack updates for run %s not sent", box.run_id)

    async def _drain(self, box: _Outbox) -> None:
        backoff = 0.25
        try:
            while box.jobs or box.dirty:
                job = box.jobs[0] if box.jobs else None
                try:
                    if job is not None:
                        job.attempts += 1
                        await job.work()
                        box.jobs.popleft()
                    else:
                        wait = box.last_update + self.min_interval_s - time.monotonic()
                        if wait > 0:
                            await asyncio.sleep(wait)
                            continue
                        box.dirty = False
                        await self._refresh(box)
                        box.last_update = time.monotonic()
                    backoff = 0.25
                except NotifyError as exc:
                    if job is None:
                        box.dirty = True
                    if not is_transient(exc):
                        log.error(
                            "slack refused %s for run %s: %s",
                            job.name if job else "run message update",
                            box.run_id,
                            exc.message,
                        )
                        if job is not None:
                            box.jobs.popleft()
                        else:
                            box.dirty = False
                        continue
                    log.warning("slack unavailable (%s); retrying in %.1fs", exc.message, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff_s)
                except Exception:  # a bug or the store: log, drop this piece, keep the rest
                    log.exception("slack update failed for run %s", box.run_id)
                    if job is not None:
                        box.jobs.popleft()
                    else:
                        box.dirty = False
                    await asyncio.sleep(backoff)
        finally:
            box.task = None
            if not box.jobs and not box.dirty:
                self._boxes.pop(box.run_id, None)

    # ------------------------------------------------------------------ Slack effects
    def _channel(self, run: Run) -> str | None:
        return run.channel or self.settings.channel

    async def _view(self, run: Run, box: _Outbox | None) -> RunView:
        return RunView(
            run=run,
            steps=await self.store.steps(run.id),
            decisions=await self.store.decisions(run.id),
            recoveries=await self.store.recovery_actions(run.id),
            progress=box.progress if box else None,
            oncall=self.settings.oncall,
        )

    async def _post_run_message(self, run_id: str) -> None:
        run = await self.store.get_run(run_id)
        if run is None or run.message_ts:
            return
        channel = self._channel(run)
        if channel is None:
            log.info("run %s: no channel configured; not posting to Slack", run_id)
            return
        message = run_message(await self._view(run, self._boxes.get(run_id)))
        ts = await self.notifier.post_message(channel, message)
        await self.store.update_run(run_id, message_ts=ts, channel=channel)

    async def _refresh(self, box: _Outbox) -> None:
        run = await self.store.get_run(box.run_id)
        if run is None or not run.message_ts or not run.channel:
            return
        await self.notifier.update_message(
            run.channel, run.message_ts, run_message(await self._view(run, box))
        )

    async def _thread_post(self, run_id: str, message: Message) -> str | None:
        run = await self.store.get_run(run_id)
        channel = self._channel(run) if run else None
        if run is None or channel is None:
            return None
        return await self.notifier.post_message(channel, message, thread_ts=run.message_ts)

    def _slack_data(self, run: Run) -> dict[str, Any]:
        return dict(run.data.get("slack") or {})

    async def _post_card(self, run_id: str) -> None:
        run = await self.store.get_run(run_id)
        if run is None or run.state is not RunState.AWAITING_REVIEW:
            return
        slack = self._slack_data(run)
        if slack.get("card_ts") and not slack.get("card_closed"):
            if slack.get("card_plan") == run.plan_id:
                return  # this plan's open card is already posted
            await self._close_card(run, slack, superseded=True)
        decisions = await self._plan_decisions(run)
        ts = await self._thread_post(run_id, review_card(run, decisions=decisions))
        if ts is None:
            return
        slack.update(card_ts=ts, card_plan=run.plan_id, card_closed=False)
        await self.store.update_run(run_id, data={"slack": slack})
        lines = len((run.sql_text or "").splitlines())
        self._add(self._box(run_id), "upload SQL", lambda: self._upload_sql(run_id, lines))

    async def _plan_decisions(self, run: Run) -> list[Any]:
        """Decisions on the run's current plan (a card shows only its own plan's)."""
        return [d for d in await self.store.decisions(run.id) if d.plan_id == run.plan_id]

    async def _close_card(self, run: Run, slack: dict[str, Any], *, superseded: bool) -> None:
        card_run = run
        decisions = await self._plan_decisions(run)
        await self.notifier.update_message(
            str(run.channel),
            str(slack["card_ts"]),
            review_card(card_run, decisions=decisions, closed=True, superseded=superseded),
        )

    async def _update_card(self, run_id: str) -> None:
        run = await self.store.get_run(run_id)
        if run is None or not run.channel:
            return
        slack = self._slack_data(run)
        if not slack.get("card_ts") or slack.get("card_closed"):
            return
        if run.state is RunState.AWAITING_REVIEW and slack.get("card_plan") == run.plan_id:
            decisions = await self._plan_decisions(run)  # e.g. first of two approvals
            await self.notifier.update_message(
                run.channel, str(slack["card_ts"]), review_card(run, decisions=decisions)
            )
            return
        superseded = slack.get("card_plan") != run.plan_id or run.state is RunState.DIFF
        await self._close_card(run, slack, superseded=superseded)
        slack["card_closed"] = True
        await self.store.update_run(run_id, data={"slack": slack})

    async def _upload_sql(self, run_id: str, lines: int) -> None:
        run = await self.store.get_run(run_id)
        if run is None or not run.sql_text or not self._channel(run):
            return
        await self.notifier.upload_file(
            str(self._channel(run)),
            filename=f"align-{run.id}.sql",
            content=run.sql_text,
            title=f"align {run.target} {run.id}.sql",
            initial_comment=f"Full SQL under review: {lines:,} lines, sha256 `{run.sql_sha256}`",
            thread_ts=run.message_ts,
        )

    async def _upload_report(self, run_id: str, path: Any) -> None:
        run = await self.store.get_run(run_id)
        if run is None or not self._channel(run):
            return
        content = await asyncio.to_thread(_read_bytes, path)
        if content is None:
            log.error("report file %s for run %s is missing", path, run_id)
            return
        await self.notifier.upload_file(
            str(self._channel(run)),
            filename=f"align-report-{run.id}.md",
            content=content,
            title=f"Alignment report {run.id}",
            initial_comment=f"Alignment report for run `{escape(run.id)}` ({run.state.value})",
            thread_ts=run.message_ts,
        )

    async def _post_failure(self, run_id: str) -> None:
        run = await self.store.get_run(run_id)
        if run is None:
            return
        failed = [s for s in await self.store.steps(run_id) if s.status == "failed"]
        who = " ".join(mention(p) for p in self.settings.oncall) or "On-call"
        what = (
            f"failed at step *{escape(failed[-1].name)}*"
            if failed
            else f"is {escape(run.state.value)}"
        )
        error = run.error or (run.data.get("notes") or ["no error recorded"])[-1]
        blocks = [
            section(
                f"{who}: run `{escape(run.id)}` on `{escape(run.target)}` {what}.\n"
                f"```{escape(clip(error, 1500))}```"
            )
        ]
        tail = failed[-1].output_tail if failed else None
        if tail and tail.strip() != (run.error or "").strip():
            blocks.append(
                section(f"Output (last lines):\n```{escape(clip(tail[-2500:], 2600))}```")
            )
        text = clip(f"{who}: run {run.id} on {run.target} {what}", 300)
        await self._thread_post(run_id, Message(text=text, blocks=blocks))


def _read_bytes(path: Any) -> bytes | None:
    from pathlib import Path

    try:
        return Path(path).read_bytes()
    except OSError:
        return None

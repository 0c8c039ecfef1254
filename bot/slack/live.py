"""RunMessenger: the Runner's Slack listener — one message per run, kept current, never in the
run's way, and nothing owed to Slack lost when the process stops.

The listener only *records* what is owed, as rows of the store's outbox (``bot/store/outbox.py``),
and returns: nothing waits on Slack. A delivery loop, one per replica, leases the head of each
run's queue and does the Slack call (the effects are in ``bot/slack/delivery.py``); because the
queue and the leases live in the store, any replica delivers what any other enqueued, a restart
resumes where the last process stopped, and two replicas never work on one run's queue at once.

* Order: per run, strictly in the order owed (the run message before its card, the card before
  its SQL); runs do not wait on each other.
* The run message is re-rendered from the store by a coalesced ``render`` row: any number of
  events while one is waiting make one edit, and edits of one run are at least
  ``min_interval_s`` apart (a 20,000-statement apply edits it a few times, not 20,000).
* Retryable failures (429 after the client's own retries, 5xx, unreachable) give the row back
  with capped exponential backoff; it stays at the head of its run, so when Slack answers again
  everything catches up in order. Permanent refusals (``channel_not_found``, ``invalid_blocks``…)
  mark the row failed, audit it (``slack.undelivered``), show it on the run message, and let the
  rest of the run's queue go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import deque
from typing import Any

from bot.config import Settings
from bot.errors import NotifyError
from bot.slack.blocks import Message
from bot.slack.delivery import OWED_WORDS, SlackEffects
from bot.slack.notices import report_failed_message
from bot.slack.notifier import Notifier
from bot.store import Run, Store
from bot.store.outbox import OutboxItem, Owed
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
# A row that keeps failing for a reason that is not Slack's (a bug) is given up after this many
# attempts, so it cannot block its run's queue forever.
MAX_ATTEMPTS_NOT_SLACK = 5
# Delivered rows are forgotten after this many days (failed ones are kept).
KEEP_DELIVERED_DAYS = 14.0


def is_transient(exc: NotifyError) -> bool:
    error = str(exc.context.get("error") or "")
    return error in _TRANSIENT or error.startswith("http_5")


class RunMessenger:
    """``Runner(listeners=[messenger])``; handlers call :meth:`touch` after acting on a run.
    :meth:`start` and :meth:`close` run the delivery loop (the app's lifecycle calls them)."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        notifier: Notifier,
        supervisor: TaskSupervisor,
        min_interval_s: float = 1.0,
        max_backoff_s: float = 10.0,
        lease_s: float = 30.0,
        poll_s: float = 1.0,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.supervisor = supervisor
        self.min_interval_s = min_interval_s
        self.max_backoff_s = max_backoff_s
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._progress: dict[str, tuple[int, int]] = {}
        self._render_owed_at: dict[str, float] = {}  # run id → when a render row was added
        self._later: deque[tuple[str, Owed, dict[str, Any], bool]] = deque()
        self._later_task: asyncio.Task[Any] | None = None
        self._workers: dict[str, asyncio.Task[Any]] = {}
        self._loop: asyncio.Task[Any] | None = None
        self._wake = asyncio.Event()
        self._pending_seen = 0
        self.effects = SlackEffects(
            settings=settings, store=store, notifier=notifier, progress=self._progress.get
        )

    # ------------------------------------------------------------------ listener
    async def __call__(self, run: Run, event: str, detail: dict[str, Any]) -> None:
        if event == "apply_progress":
            self._progress[run.id] = (int(detail.get("done", 0)), int(detail.get("total", 0)))
            owed_at = self._render_owed_at.get(run.id)
            if owed_at is not None and time.monotonic() - owed_at < 2 * self.min_interval_s:
                return  # a render is already owed: it reads the progress when it is delivered
            await self._owe_render(run.id)
            return
        for kind, payload in _owed_for(run, event, detail):
            await self.store.outbox_enqueue(run.id, kind, payload)
        if event != "created":  # posting the run message renders it
            await self._owe_render(run.id)
        if run.is_final:
            self._progress.pop(run.id, None)
            self._render_owed_at.pop(run.id, None)
        self._wake.set()

    def touch(self, run_id: str) -> None:
        """Re-render the run message (after a recovery action, at start-up)."""
        self._owe_later(run_id, Owed.RENDER, {}, coalesce=True)

    def post_in_thread(self, run_id: str, message: Message) -> None:
        """Post ``message`` in the run's thread (stored first, delivered in order)."""
        payload = {"text": message.text, "blocks": message.blocks}
        self._owe_later(run_id, Owed.NOTE, payload, coalesce=False)

    async def catch_up(self, *, limit: int = 50) -> None:
        """At start-up: re-render recent run messages (a previous process may have held
        progress only it knew), and forget long-delivered outbox rows."""
        for run in await self.store.list_runs(limit=limit):
            if run.message_ts and (not run.is_final or run.state is RunState.INTERRUPTED):
                await self._owe_render(run.id)
        pruned = await self.store.outbox_prune(older_than_days=KEEP_DELIVERED_DAYS)
        if pruned:
            log.info("forgot %d Slack deliveries older than %s days", pruned, KEEP_DELIVERED_DAYS)
        self._wake.set()

    @property
    def pending(self) -> int:
        """What is owed to Slack as this process last saw it (rows in the store not yet
        delivered by any replica, plus requests not yet stored)."""
        return self._pending_seen + len(self._later)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until everything owed to Slack was delivered, by any replica (tests)."""
        async with asyncio.timeout(timeout):
            while True:
                if not self._later and not self._workers:
                    self._pending_seen = await self.store.outbox_pending()
                    if self._pending_seen == 0:
                        return
                self._wake.set()
                await asyncio.sleep(0.02)

    async def _owe_render(self, run_id: str) -> None:
        self._render_owed_at[run_id] = time.monotonic()
        await self.store.outbox_enqueue(run_id, Owed.RENDER, coalesce=True)
        self._wake.set()

    def _owe_later(self, run_id: str, kind: Owed, payload: dict[str, Any], coalesce: bool) -> None:
        """For callers that cannot await: stored by one task, in the order asked."""
        self._later.append((run_id, kind, payload, coalesce))
        if self._later_task is None:
            try:
                self._later_task = self.supervisor.spawn(self._store_later(), name="slack owe")
            except SupervisorClosed:
                log.warning("shutting down: %d Slack update(s) not recorded", len(self._later))
                self._later.clear()

    async def _store_later(self) -> None:
        try:
            while self._later:
                run_id, kind, payload, coalesce = self._later[0]
                await self.store.outbox_enqueue(run_id, kind, payload, coalesce=coalesce)
                self._later.popleft()
                self._wake.set()
        finally:
            self._later_task = None

    # ------------------------------------------------------------------ delivery
    def start(self) -> None:
        """Start this replica's delivery loop (a supervised service task)."""
        if self._loop is None:
            self._loop = self.supervisor.spawn(self._deliver(), name="slack outbox", service=True)

    async def close(self, *, grace: float = 2.0) -> None:
        """Stop delivering: in-flight Slack calls get ``grace`` seconds, then every lease this
        replica holds is given back so another replica (or the next start) takes over at once."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        workers = set(self._workers.values())
        if workers:
            _done, late = await asyncio.wait(workers, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        try:
            released = await self.store.outbox_release(self.owner)
        except Exception:  # the store is down: the leases simply run out
            log.exception("could not give back Slack outbox leases; they expire on their own")
            return
        if released:
            log.info("gave back %d undelivered Slack item(s) to other replicas", released)

    async def _deliver(self) -> None:
        while True:
            self._wake.clear()
            wait = self.poll_s
            try:
                claimed = await self.store.outbox_claim(
                    self.owner, lease_s=self.lease_s, exclude=list(self._workers)
                )
                for item in claimed:
                    self._start_worker(item)
                due = await self.store.outbox_next_due_s(exclude=list(self._workers))
                if due is not None:
                    wait = min(wait, due)
            except Exception as exc:  # the store blinked: say so, try again at the next poll
                log.warning("Slack outbox: claiming failed (%s); retrying", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    def _start_worker(self, item: OutboxItem) -> None:
        try:
            task = self.supervisor.spawn(self._work(item), name=f"slack {item.run_id}")
        except SupervisorClosed:
            return  # the lease is given back by close()
        self._workers[item.run_id] = task

    async def _work(self, first: OutboxItem) -> None:
        """Deliver ``first`` and then the run's next rows, until its queue is empty or waits."""
        item: OutboxItem | None = first
        try:
            while item is not None:
                if not await self._attempt(item):
                    return
                claimed = await self.store.outbox_claim(
                    self.owner, lease_s=self.lease_s, run_id=first.run_id, limit=1
                )
                item = claimed[0] if claimed else None
        except Exception:  # the store: the lease runs out and the row is tried again
            log.exception("Slack outbox: delivery for run %s stopped", first.run_id)
        finally:
            self._workers.pop(first.run_id, None)
            self._wake.set()

    async def _attempt(self, item: OutboxItem) -> bool:
        """One delivery attempt; True when the row is settled (done or failed for good)."""
        keeper = asyncio.create_task(self._keep_lease(item), name=f"lease {item.id}")
        try:
            if item.kind is Owed.RENDER:
                self._render_owed_at.pop(item.run_id, None)
                await self._pace(item.run_id)
            result = await self.effects.deliver(item)
        except NotifyError as exc:
            return await self._failed(item, exc.message, slack_error=exc)
        except Exception as exc:
            log.exception("Slack outbox: %s for run %s failed", item.kind.value, item.run_id)
            return await self._failed(item, f"{type(exc).__name__}: {exc}", slack_error=None)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        if not await self.store.outbox_done(item.id, self.owner, result=result):
            log.warning(
                "Slack outbox: lease on %s for run %s was lost while delivering "
                "(another replica may have delivered it too)",
                item.kind.value,
                item.run_id,
            )
        return True

    async def _failed(
        self, item: OutboxItem, message: str, *, slack_error: NotifyError | None
    ) -> bool:
        retry = (
            is_transient(slack_error)
            if slack_error is not None
            else item.attempts < MAX_ATTEMPTS_NOT_SLACK
        )
        if retry:
            delay = min(0.25 * 2 ** max(0, item.attempts - 1), self.max_backoff_s)
            log.warning("slack unavailable (%s); retrying in %.1fs", message, delay)
            await self.store.outbox_retry(item.id, self.owner, delay_s=delay, error=message)
            return False
        error = str(slack_error.context.get("error") or message) if slack_error else message
        log.error("slack refused %s for run %s: %s", OWED_WORDS[item.kind], item.run_id, message)
        await self.store.outbox_fail(item, self.owner, error=error)
        if item.kind not in (Owed.RUN_MESSAGE, Owed.RENDER):
            await self._owe_render(item.run_id)  # the run message says what did not arrive
        return True

    async def _pace(self, run_id: str) -> None:
        """At most one edit of a run message per ``min_interval_s`` (across replicas)."""
        since = await self.store.outbox_seconds_since(run_id, Owed.RENDER)
        if since is not None and since < self.min_interval_s:
            await asyncio.sleep(self.min_interval_s - since)

    async def _keep_lease(self, item: OutboxItem) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            with contextlib.suppress(Exception):  # a store blink: the next renewal may work
                await self.store.outbox_extend(item.id, self.owner, lease_s=self.lease_s)


def _owed_for(run: Run, event: str, detail: dict[str, Any]) -> list[tuple[Owed, dict[str, Any]]]:
    """The one-shot Slack items an event of the run owes (the re-render is added separately)."""
    if event == "created":
        return [(Owed.RUN_MESSAGE, {})]
    if event == "awaiting_review":
        plan = {"plan_id": run.plan_id}
        return [(Owed.CARD, plan), (Owed.SQL_UPLOAD, plan)]
    if event in ("decided", "approval_pending", "cancelled") or (
        event == "state" and run.state is RunState.DIFF
    ):
        return [(Owed.CARD_UPDATE, {})]
    if event in ("failed", "interrupted"):
        return [(Owed.FAILURE, {})]
    if event == "report":
        paths = list(detail.get("paths") or [])
        return [(Owed.REPORT, {"path": str(paths[0])})] if paths else []
    if event == "report_failed":
        note = report_failed_message(
            run_id=run.id,
            target=run.target,
            reason=str(detail.get("reason") or "no reason recorded"),
            stage=str(detail.get("stage") or "write"),
        )
        return [(Owed.NOTE, {"text": note.text, "blocks": note.blocks})]
    return []

"""TaskSupervisor: the one owner of the bot's background tasks.

Slack wants an ack within 3 s, so handlers hand slow work to the supervisor and return. Unlike a
bare ``asyncio.create_task`` (or bolt's lazy listeners) nothing is fire-and-forget: the supervisor
keeps a reference to every task, logs a task's failure with its name, and on shutdown cancels
what is still running and awaits it, so SIGTERM never leaves half-finished work in the loop.

Two kinds of task, because they deserve different shutdowns:

* **work** (the default): a run's steps, a handler's slow answer, a delivery owed to Slack. At
  shutdown it is given the grace period to finish, then cancelled.
* **background** (``background=True``): loops that run until shutdown and hold no half-done
  work (the orphan sweep, idle delivery loops). Waiting for them would only delay every stop by
  the full grace, so they are cancelled at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["SupervisorClosed", "TaskSupervisor"]


class SupervisorClosed(RuntimeError):
    """A task was offered after shutdown began (the process is stopping; the work is refused)."""


class TaskSupervisor:
    """Starts, tracks and finally cancels background tasks. Create inside a running loop."""

    def __init__(self, *, on_failure: Callable[[str, BaseException], None] | None = None) -> None:
        self._on_failure = on_failure
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.failures = 0

    @property
    def running(self) -> int:
        """Tasks doing work now (background loops not counted)."""
        return len(self._tasks - self._background)

    @property
    def closing(self) -> bool:
        """True once :meth:`close` has begun (new tasks are refused)."""
        return self._closing

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        name: str,
        background: bool = False,
        service: bool = False,
    ) -> asyncio.Task[Any]:
        """Run ``coro`` as a supervised task. Raises SupervisorClosed once shutdown has begun.

        ``background`` marks a loop meant to run until shutdown: :meth:`wait_idle` does not wait
        for it and :meth:`close` cancels it at once instead of granting it the grace period.
        ``service`` is the older name of ``background`` (same meaning)."""
        if self._closing:
            coro.close()
            raise SupervisorClosed(f"cannot start {name!r}: the bot is shutting down")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        if background or service:
            self._background.add(task)
        else:
            self._idle.clear()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._background.discard(task)
        if not self._tasks - self._background:
            self._idle.set()
        if task.cancelled():
            log.info("background task cancelled", extra={"task": task.get_name()})
            return
        exc = task.exception()
        if exc is not None:
            self.failures += 1
            log.error(
                "background task failed",
                extra={"task": task.get_name()},
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            if self._on_failure is not None:
                self._on_failure(task.get_name(), exc)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until no work task is running (tests and graceful drain)."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    async def close(self, *, grace: float = 5.0) -> None:
        """Refuse new tasks and cancel background loops at once; give work tasks ``grace``
        seconds to finish, then cancel them; return when every task has ended."""
        self._closing = True
        background = self._tasks & self._background
        for task in background:
            task.cancel()
        work = self._tasks - self._background
        pending: set[asyncio.Task[Any]] = set()
        if work:
            _done, pending = await asyncio.wait(work, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            log.warning(
                "cancelling %d task(s) still working after the %.1fs shutdown grace",
                len(pending),
                grace,
            )
        # Cancelled tasks still unwind (finally blocks, subprocess kills): wait for all of them.
        await asyncio.gather(*background, *work, return_exceptions=True)

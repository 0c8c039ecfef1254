"""TaskSupervisor: the one owner of the bot's background tasks.

Slack wants an ack within 3 s, so handlers hand slow work to the supervisor and return. Unlike a
bare ``asyncio.create_task`` (or bolt's lazy listeners) nothing is fire-and-forget: the supervisor
keeps a reference to every task, logs a task's failure with its name, and on shutdown cancels
what is still running and awaits it, so SIGTERM never leaves half-finished work in the loop.
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
        self._services: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.failures = 0

    @property
    def running(self) -> int:
        """Tasks doing work now (service loops not counted)."""
        return len(self._tasks - self._services)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str, service: bool = False
    ) -> asyncio.Task[Any]:
        """Run ``coro`` as a supervised task. Raises SupervisorClosed once shutdown has begun.
        ``service`` marks a loop meant to run until shutdown: it is cancelled and awaited like
        any task, but :meth:`wait_idle` does not wait for it."""
        if self._closing:
            coro.close()
            raise SupervisorClosed(f"cannot start {name!r}: the bot is shutting down")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        if service:
            self._services.add(task)
        else:
            self._idle.clear()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._services.discard(task)
        if not self._tasks - self._services:
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
        """Wait until no task is running (tests and graceful drain)."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    async def close(self, *, grace: float = 5.0) -> None:
        """Refuse new tasks, give running ones ``grace`` seconds, then cancel and await them."""
        self._closing = True
        if not self._tasks:
            return
        pending = set(self._tasks)
        _done, pending = await asyncio.wait(pending, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("cancelling %d background task(s) at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

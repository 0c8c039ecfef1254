"""Subprocess runner for configured commands and PostgreSQL tools.

Commands run with ``asyncio.create_subprocess_exec`` (an argv list, never an implicit shell), in a
process group of their own so a timeout or a cancel kills the whole tree (``npm run`` spawns
children). Output is merged, streamed line by line to an optional callback, masked, and only a
bounded tail is kept: a chatty command cannot exhaust memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.secrets import Masker

TAIL_LINES = 60
KILL_GRACE_S = 5.0

LineCallback = Callable[[str], Awaitable[None] | None]


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_code: int | None
    output_tail: str
    duration_s: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


async def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    masker: Masker | None = None,
    user: str | None = None,
    on_line: LineCallback | None = None,
    input_bytes: bytes | None = None,
) -> CommandResult:
    """Run ``argv`` to completion or until ``timeout`` seconds, killing its process group then.

    Returns the result whatever the exit status; raising is the caller's policy. A missing
    executable is reported as exit code 127 with the reason in the tail, like a shell would.
    """
    masker = masker or Masker()
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=asyncio.subprocess.PIPE
            if input_bytes is not None
            else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            user=user,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        return CommandResult(tuple(argv), 127, masker.mask(str(exc)), time.monotonic() - started)

    async def pump() -> None:
        if input_bytes is not None and proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(input_bytes)
                await proc.stdin.drain()
            proc.stdin.close()
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = masker.mask(raw.decode("utf-8", "replace").rstrip("\n"))
            tail.append(line)
            if on_line is not None:
                maybe = on_line(line)
                if maybe is not None:
                    await maybe
        await proc.wait()

    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            await pump()
    except TimeoutError:
        timed_out = True
        await _kill_group(proc)
    except asyncio.CancelledError:
        await _kill_group(proc)
        raise
    return CommandResult(
        argv=tuple(argv),
        exit_code=proc.returncode,
        output_tail="\n".join(tail),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
    )


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone after a grace period."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, KILL_GRACE_S)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            async with asyncio.timeout(wait):
                await proc.wait()
            return
        except TimeoutError:
            continue

"""Subprocess runner for configured commands and PostgreSQL tools.

Commands run with ``asyncio.create_subprocess_exec`` (an argv list, never an implicit shell), in a
process group of their own so a timeout or a cancel kills the whole tree (``npm run`` spawns
children). Output is merged, streamed line by line to an optional callback, masked, and only a
bounded tail is kept: a chatty command cannot exhaust memory.

Runbook commands are also *contained* (``contain=``, DESIGN invariant 12): no descendant outlives
the call, whether the command succeeded, failed, timed out or was cancelled, and whether or not a
descendant left the process group (``setsid``, a double-forked daemon). Two mechanisms, chosen
once per process by :func:`step_containment` (deploy/README.md says when each applies):

* ``Containment.CGROUP`` — a cgroup v2 directory per call, created next to the bot's own cgroup.
  The command starts through ``bot/step_exec.py``, which moves itself into it and then execs the
  command, so nothing can fork before it is inside. When the command exits (or on timeout/cancel)
  the bot writes ``cgroup.kill``: the kernel kills every process in it, atomically with respect
  to forks. Processes the bot starts itself (PostgreSQL clusters, the demo's application) are in
  other cgroups and are never touched.
* ``Containment.SUBREAPER`` — the fallback: ``step_exec.py`` becomes a child subreaper
  (``prctl(PR_SET_CHILD_SUBREAPER)``), runs the command as its child, and kills and reaps every
  descendant left (orphans are re-parented to it, not to init) before it exits itself.

Callers that must leave a daemon running (``pg_ctl start``) simply do not pass ``contain``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import itertools
import logging
import os
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.secrets import Masker

TAIL_LINES = 60
KILL_GRACE_S = 5.0
STEP_EXEC = Path(__file__).with_name("step_exec.py")
CGROUP_PREFIX = "align-step-"

log = logging.getLogger(__name__)

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


class Containment(enum.Enum):
    """How a contained command's descendants are found and killed (see the module docstring)."""

    CGROUP = "cgroup"
    SUBREAPER = "subreaper"


@functools.cache
def step_containment() -> Containment:
    """The strongest mechanism this host allows: CGROUP when the bot can create a cgroup v2
    directory with ``cgroup.kill`` (Linux >= 5.14) next to its own, SUBREAPER otherwise.
    Decided once per process (a few reads and one mkdir/rmdir under /sys/fs/cgroup)."""
    parent = _own_cgroup_dir()
    if parent is not None:
        probe = parent / f"{CGROUP_PREFIX}probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            probe.mkdir()
            try:
                usable = (probe / "cgroup.kill").exists()
            finally:
                probe.rmdir()
        except OSError:
            usable = False
        if usable:
            _remove_abandoned(parent)
            return Containment.CGROUP
    log.info("no writable cgroup v2 with cgroup.kill: runbook commands run under a subreaper")
    return Containment.SUBREAPER


def _remove_abandoned(parent: Path) -> None:
    """Kill and remove step cgroups left by a bot process that died mid-step (their name holds
    the creator's pid; a live creator's are left alone)."""
    for path in parent.glob(f"{CGROUP_PREFIX}*-*"):
        pid = path.name.removeprefix(CGROUP_PREFIX).split("-")[0]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        with contextlib.suppress(OSError):
            (path / "cgroup.kill").write_text("1")
            log.warning("killed the processes of an abandoned runbook step (%s)", path.name)
        with contextlib.suppress(OSError):
            path.rmdir()  # fails while the kernel is still delivering SIGKILL; next start retries


def _own_cgroup_dir() -> Path | None:
    """This process's cgroup v2 directory, from /proc/self/cgroup and the cgroup2 mount."""
    try:
        entries = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    own = next((line[3:] for line in entries if line.startswith("0::")), None)
    if own is None:
        return None
    for line in mounts:
        fields, _, fs = line.partition(" - ")
        parts = fields.split()
        if fs.split()[:1] == ["cgroup2"] and len(parts) >= 5:
            root, mount_point = parts[3], parts[4]
            relative = os.path.relpath(own, root)
            if relative.startswith(".."):
                continue
            return Path(mount_point) / relative if relative != "." else Path(mount_point)
    return None


class _Box:
    """One contained call: wraps argv, kills what is left, tears itself down."""

    def wrap(self, argv: Sequence[str]) -> list[str]:
        raise NotImplementedError

    async def after_exit(self) -> None:
        """The command itself has exited: kill every descendant still running."""

    async def stop(self, proc: asyncio.subprocess.Process) -> None:
        """Timeout or cancel: ask the whole step to stop, then kill whatever remains."""
        raise NotImplementedError

    async def close(self) -> None:
        """Always called last: nothing of the step may be alive after it returns."""


class _CgroupBox(_Box):
    def __init__(self, parent: Path) -> None:
        self.path = parent / f"{CGROUP_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
        self.path.mkdir(mode=0o700)

    def wrap(self, argv: Sequence[str]) -> list[str]:
        return [sys.executable, "-I", "-S", str(STEP_EXEC), "cgroup", str(self.path), "--", *argv]

    def _pids(self) -> list[int]:
        with contextlib.suppress(OSError):
            return [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
        return []

    def _populated(self) -> bool:
        try:
            return "populated 1" in (self.path / "cgroup.events").read_text()
        except FileNotFoundError:
            return False

    async def _kill_all(self) -> None:
        """``cgroup.kill`` (SIGKILL to every member, new forks included), then wait until the
        kernel reports the cgroup empty."""
        if not self.path.exists():
            return
        (self.path / "cgroup.kill").write_text("1")
        for _ in range(int(KILL_GRACE_S / 0.005)):  # the kernel needs a few ms, not seconds
            if not self._populated():
                return
            await asyncio.sleep(0.005)

    async def after_exit(self) -> None:
        await self._kill_all()

    async def stop(self, proc: asyncio.subprocess.Process) -> None:
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(KILL_GRACE_S):
                await proc.wait()
        await self._kill_all()
        await proc.wait()

    async def close(self) -> None:
        await self._kill_all()
        try:
            self.path.rmdir()
        except FileNotFoundError:
            pass
        except OSError as exc:  # still populated: a process stuck in the kernel (state D)
            log.warning("could not remove the step cgroup %s: %s", self.path, exc)


class _SubreaperBox(_Box):
    def wrap(self, argv: Sequence[str]) -> list[str]:
        grace = str(KILL_GRACE_S)
        return [sys.executable, "-I", "-S", str(STEP_EXEC), "subreaper", grace, "--", *argv]

    async def stop(self, proc: asyncio.subprocess.Process) -> None:
        # The wrapper passes SIGTERM on to every descendant, waits its grace, kills the rest
        # and exits; the bot kills the group itself only if the wrapper does not manage to.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(2 * KILL_GRACE_S + 1):
                await proc.wait()
        except TimeoutError:
            await _kill_group(proc)


def _tie(argv: Sequence[str]) -> list[str]:
    return [sys.executable, "-I", "-S", str(STEP_EXEC), "tied", str(os.getpid()), "--", *argv]


def _open_box(contain: Containment | None, user: str | None) -> _Box | None:
    if contain is None:
        return None
    if user is not None:
        raise ValueError("run_command: contain= and user= cannot be combined")
    if contain is Containment.CGROUP:
        parent = _own_cgroup_dir()
        if parent is None:
            raise OSError("cgroup containment requested, but no cgroup v2 is mounted")
        return _CgroupBox(parent)
    return _SubreaperBox()


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
    contain: Containment | None = None,
    tied: bool = False,
) -> CommandResult:
    """Run ``argv`` to completion or until ``timeout`` seconds, killing its process group then.

    Returns the result whatever the exit status; raising is the caller's policy. A missing
    executable is reported as exit code 127 with the reason in the tail, like a shell would.
    With ``contain`` (runbook commands: pass :func:`step_containment`), every descendant is
    killed before this returns, on every path; output written by them after the command exited
    is lost with them. With ``tied`` the command is killed by the kernel if the bot dies
    first (a parent-death signal set by step_exec.py), so it never outlives the bot.
    """
    masker = masker or Masker()
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        box = _open_box(contain, user)
        if tied and (box is not None or user is not None):
            raise ValueError("run_command: tied= cannot be combined with contain= or user=")
    except OSError as exc:  # fail closed: an uncontained runbook command is not run at all
        message = f"could not set up the step's process containment: {exc}"
        return CommandResult(tuple(argv), 125, masker.mask(message), time.monotonic() - started)
    try:
        proc = await asyncio.create_subprocess_exec(
            *(box.wrap(argv) if box is not None else _tie(argv) if tied else argv),
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
        if box is not None:
            await box.close()
        return CommandResult(tuple(argv), 127, masker.mask(str(exc)), time.monotonic() - started)

    async def reap_after_exit() -> None:
        await _exited(proc)
        if box is not None:
            await box.after_exit()  # the survivors' hold on stdout ends here: pump sees EOF

    async def pump() -> None:
        reaper = asyncio.create_task(reap_after_exit())
        try:
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
            await reaper
            await proc.wait()
        finally:
            if not reaper.done():
                reaper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reaper

    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            await pump()
    except TimeoutError:
        timed_out = True
        await (box.stop(proc) if box is not None else _kill_group(proc))
    except asyncio.CancelledError:
        await (box.stop(proc) if box is not None else _kill_group(proc))
        raise
    finally:
        if box is not None:
            await box.close()
    return CommandResult(
        argv=tuple(argv),
        exit_code=proc.returncode,
        output_tail="\n".join(tail),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
    )


async def _exited(proc: asyncio.subprocess.Process) -> None:
    """Return once the process itself has exited. ``Process.wait()`` is no use here: it also
    waits for the pipes to close, which never happens while a left-behind descendant holds them.
    A pidfd becomes readable on exit (Linux >= 5.3); elsewhere, poll the return code."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd, or already exited and reaped
        for _ in itertools.count():
            if proc.returncode is not None:
                return
            await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    exited = loop.create_future()

    def on_readable() -> None:
        loop.remove_reader(fd)
        if not exited.done():
            exited.set_result(None)

    loop.add_reader(fd, on_readable)
    try:
        await exited
    finally:
        loop.remove_reader(fd)
        os.close(fd)


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

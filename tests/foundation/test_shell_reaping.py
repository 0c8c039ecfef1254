"""No descendant of a contained command outlives it (DESIGN invariant 12), on real processes.

Each attack is a command that leaves processes behind the way a careless or hostile runbook
script would: one escaped into a session of its own with ``setsid`` (still holding the output
pipe), one double-forked daemon (stdio closed, re-parented away from the command), one that
also scrubbed its environment. The processes carry a unique marker argument, so the test finds
them in ``/proc/*/cmdline`` without trusting the code under test. Both mechanisms are exercised:
the per-step cgroup (when this host allows it) and the subreaper fallback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from bot.shell import Containment, run_command, step_containment

MECHANISMS = [
    pytest.param(
        Containment.CGROUP,
        marks=pytest.mark.skipif(
            step_containment() is not Containment.CGROUP,
            reason="no writable cgroup v2 with cgroup.kill on this host",
        ),
        id="cgroup",
    ),
    pytest.param(Containment.SUBREAPER, id="subreaper"),
]

SLEEPER = "import time; time.sleep(300)"
DAEMON = (
    "import os, sys, time\n"
    "if os.fork(): os._exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): os._exit(0)\n"
    "fd = os.open(os.devnull, os.O_RDWR)\n"
    "for n in (0, 1, 2): os.dup2(fd, n)\n"
    "time.sleep(300)\n"
)


def leave_behind(marker: str, then: str, *, hold_output: bool = True) -> list[str]:
    """A command that starts three survivors, then does ``then`` (e.g. ``exit 0``). With
    ``hold_output`` the first one keeps the command's output pipe open."""
    py = sys.executable
    held = "" if hold_output else " > /dev/null 2>&1"
    script = (
        f"setsid {py} -c '{SLEEPER}' {marker}-setsid{held} &\n"
        f'{py} -c "$DAEMON" {marker}-daemon\n'
        f"env -i setsid {py} -c '{SLEEPER}' {marker}-noenv > /dev/null 2>&1 &\n"
        "echo left three behind\n"
        f"{then}\n"
    )
    return ["sh", "-c", script]


def alive(marker: str) -> list[int]:
    """Pids of live (not zombie) processes whose arguments contain ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_bytes().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != b"Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def marker():
    """A unique marker; whatever still carries it after the test is killed (never left over)."""
    mark = f"align-reap-{uuid.uuid4().hex}"
    yield mark
    for pid in alive(mark):
        os.kill(pid, signal.SIGKILL)


def env() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "DAEMON": DAEMON}


@pytest.mark.parametrize("contain", MECHANISMS)
@pytest.mark.parametrize("ending", ["exit 0", "exit 3"], ids=["success", "failure"])
async def test_left_behind_processes_die_with_the_command(
    contain: Containment, ending: str, marker: str
) -> None:
    result = await run_command(leave_behind(marker, ending), timeout=60, env=env(), contain=contain)
    assert result.exit_code == int(ending.split()[1]) and not result.timed_out
    assert "left three behind" in result.output_tail
    assert alive(marker) == []


@pytest.mark.parametrize("contain", MECHANISMS)
async def test_left_behind_processes_die_when_the_command_times_out(
    contain: Containment, marker: str
) -> None:
    # the survivors also ignore SIGTERM: only a kill that reaches every one of them works
    argv = leave_behind(marker, "sleep 300")
    argv[2] = "trap '' TERM\n" + argv[2]
    result = await run_command(argv, timeout=1, env=env(), contain=contain)
    assert result.timed_out and not result.ok
    assert alive(marker) == []


@pytest.mark.parametrize("contain", MECHANISMS)
async def test_left_behind_processes_die_when_the_step_is_cancelled(
    contain: Containment, marker: str, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    argv = leave_behind(marker, f"touch {started}; sleep 300")
    task = asyncio.create_task(run_command(argv, timeout=60, env=env(), contain=contain))
    async with asyncio.timeout(30):
        while not started.exists():  # not a timing assertion: waiting for the attack to be set
            await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert alive(marker) == []


@pytest.mark.parametrize("contain", MECHANISMS)
async def test_step_cleanup_spares_what_the_bot_itself_started(
    contain: Containment, marker: str, make_db
) -> None:
    """The bot's PostgreSQL cluster (a daemon started by pg_ctl) and a process the bot started
    outside the step both survive a step whose descendants are all killed."""
    url = await make_db()
    own = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SLEEPER, f"{marker}-bot-owned", start_new_session=True
    )
    try:
        result = await run_command(
            leave_behind(marker, "exit 0"), timeout=60, env=env(), contain=contain
        )
        assert result.ok
        assert alive(marker) == [own.pid]
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    finally:
        own.kill()
        await own.wait()


async def test_without_containment_the_daemons_survive(marker: str) -> None:
    """The control: the same attack uncontained (what ``pg_ctl start`` needs) leaves them
    running, so the assertions above can fail."""
    argv = leave_behind(marker, "exit 0", hold_output=False)
    result = await run_command(argv, timeout=30, env=env())
    assert result.ok
    assert len(alive(marker)) == 3


@pytest.mark.parametrize("contain", MECHANISMS)
async def test_contained_missing_executable_is_exit_127(contain: Containment) -> None:
    result = await run_command(["no-such-runbook-tool"], timeout=30, env=env(), contain=contain)
    assert result.exit_code == 127 and "no-such-runbook-tool" in result.output_tail


@pytest.mark.parametrize("contain", MECHANISMS)
async def test_contained_command_killed_by_a_signal_reports_it(contain: Containment) -> None:
    result = await run_command(["sh", "-c", "kill -9 $$"], timeout=30, env=env(), contain=contain)
    assert result.exit_code == -signal.SIGKILL


async def test_no_step_cgroup_is_left_behind() -> None:
    if step_containment() is not Containment.CGROUP:
        pytest.skip("no writable cgroup v2 on this host")
    await run_command(["true"], timeout=30, env=env(), contain=Containment.CGROUP)
    mine = list(Path("/sys/fs/cgroup").rglob(f"align-step-{os.getpid()}-*"))
    assert mine == []


async def test_containment_refuses_to_run_as_another_user() -> None:
    with pytest.raises(ValueError, match="cannot be combined"):
        await run_command(["true"], timeout=5, user="nobody", contain=Containment.SUBREAPER)

"""The wrapper every contained runbook command starts through (see bot/shell.py, DESIGN inv. 12).

Run as a script, never imported by the bot: ``python -I -S step_exec.py MODE ARG -- ARGV...``.
It uses the standard library only, so it starts in a few milliseconds and does not depend on
``bot`` being importable with the command's minimal environment.

Modes:

``tied PPID``
    Die with the bot: ask the kernel to SIGKILL this process when its parent (the bot, pid PPID)
    dies, then exec ARGV (the setting survives the exec). Used for the PostgreSQL client tools
    (``pg_dump``, ``pg_restore``, ``psql``): a bot killed mid-rehearsal must not leave a
    ``pg_restore`` loading production's rows into a copy nobody will ever delete. Exits 125
    without running ARGV when the bot is already gone.

``cgroup DIR``
    Move this process into the step's cgroup v2 directory, then exec ARGV. Everything the command
    starts stays in that cgroup whatever it does (``setsid``, double fork); the bot kills the
    cgroup (``cgroup.kill``) when the step ends. Done here, before the exec, because moving the
    process from outside would race with its first fork.

``subreaper GRACE``
    The fallback without a usable cgroup v2: become a child subreaper (``prctl``), run ARGV as a
    child and wait for it. Orphans of the step (a ``setsid``/double-forked daemon) are re-parented
    to this process instead of init; once ARGV exits, every remaining descendant is killed and
    reaped before this process exits. On SIGTERM/SIGINT/SIGHUP (the bot's timeout or cancel) the
    signal is passed on to every descendant and, GRACE seconds later, whatever is left is killed.

Exit status: ARGV's own; when ARGV died of a signal this process dies of the same signal, so the
bot sees the same return code as without the wrapper. 127/126 when ARGV cannot be executed, 125
when the containment itself cannot be set up (the command is then never started).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _fail(code: int, message: str) -> None:
    print(f"step_exec: {message}", file=sys.stderr, flush=True)
    os._exit(code)


def _exec(argv: list[str]) -> None:
    try:
        os.execvp(argv[0], argv)
    except FileNotFoundError as exc:
        _fail(127, f"{argv[0]}: {exc.strerror}")
    except OSError as exc:
        _fail(126, f"{argv[0]}: {exc.strerror}")


def _tie_to_parent(parent: int | None = None) -> None:
    """SIGKILL this process when its parent dies (kept across exec, cleared only by fork and
    set-uid changes); when the parent is already gone, stop here."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        _fail(125, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    if parent is not None and os.getppid() != parent:
        _fail(125, "the bot that started this command is gone")


def _cgroup(directory: str, argv: list[str]) -> None:
    try:
        with open(os.path.join(directory, "cgroup.procs"), "w") as f:
            f.write("0")  # "0" moves the writing process itself
    except OSError as exc:
        _fail(125, f"could not join the step's cgroup {directory}: {exc}")
    _exec(argv)


def _descendants(root: int) -> list[int]:
    """Live (non-zombie) descendants of ``root``, found through /proc parent links."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rpartition(b")")[2].split()  # the command name may hold spaces and ")"
        if len(fields) < 2 or fields[0] == b"Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    found: list[int] = []
    todo = [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def _signal_all(sig: int) -> None:
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _kill_and_reap_all() -> None:
    """SIGKILL every descendant until this process has no child left. A process forked while
    its parent was being killed is re-parented here (we are the subreaper) and caught on the
    next pass; no children at all means no descendants at all."""
    while True:
        _signal_all(signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _subreaper(grace: float, argv: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        _fail(125, f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")

    def on_stop(signum: int, _frame: object) -> None:
        _signal_all(signal.SIGTERM)
        signal.setitimer(signal.ITIMER_REAL, grace)

    def on_grace_over(_signum: int, _frame: object) -> None:
        _signal_all(signal.SIGKILL)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_stop)
    signal.signal(signal.SIGALRM, on_grace_over)
    try:
        child = subprocess.Popen(argv)
    except FileNotFoundError as exc:
        _fail(127, f"{argv[0]}: {exc.strerror}")
    except OSError as exc:
        _fail(126, f"{argv[0]}: {exc.strerror}")
    returncode = child.wait()
    signal.setitimer(signal.ITIMER_REAL, 0)
    _kill_and_reap_all()
    sys.stdout.flush()
    if returncode < 0:  # died of a signal: die of the same one
        with contextlib.suppress(OSError, ValueError):  # SIGKILL's disposition cannot change
            signal.signal(-returncode, signal.SIG_DFL)
        os.kill(os.getpid(), -returncode)
    os._exit(returncode & 0xFF)


def main(args: list[str]) -> None:
    if len(args) < 4 or args[2] != "--":
        _fail(
            125,
            "usage: step_exec.py tied PPID -- ARGV... | cgroup DIR -- ARGV... "
            "| subreaper GRACE -- ARGV...",
        )
    mode, arg, argv = args[0], args[1], args[3:]
    if mode == "tied":
        _tie_to_parent(int(arg))
        _exec(argv)
    elif mode == "cgroup":
        _cgroup(arg, argv)
    elif mode == "subreaper":
        _subreaper(float(arg), argv)
    else:
        _fail(125, f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

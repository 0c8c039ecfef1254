"""Invariant 7 at rest: a whole built-in run started under ``umask 022`` (the usual default,
which makes new files world-readable) leaves nothing another local user can read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.workflow.run import RunState
from tests.builders import decide


def _modes(root: Path) -> dict[Path, int]:
    paths = [root, *root.rglob("*")]
    return {p: stat.S_IMODE(p.lstat().st_mode) for p in paths}


async def test_builtin_run_under_umask_022_leaves_only_private_files(wf) -> None:
    previous = os.umask(0o022)
    try:
        run = await wf.until_review()
        assert run.state is RunState.AWAITING_REVIEW, run.error
        await decide(wf.runner, run, decision="approved", user="U0BOB0002")
        final = await wf.runner.wait(run.id)
    finally:
        os.umask(previous)
    assert final.state is RunState.DONE, final.error
    data_dir = wf.settings.data_dir
    modes = _modes(data_dir)
    names = {p.name for p in modes}
    # the dump (production's rows), the reviewed SQL and the report are all there ...
    assert any(name.endswith(".dump") for name in names), names
    assert {"align.sql", f"{run.id}.md"} <= names, names
    # ... and none of them, nor any folder on the way, is open to group or others
    loose = {
        str(p.relative_to(data_dir)): oct(mode)
        for p, mode in modes.items()
        if mode != (0o700 if p.is_dir() else 0o600)
    }
    assert loose == {}

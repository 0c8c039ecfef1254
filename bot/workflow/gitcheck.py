"""Git facts of the application checkout (commands mode): branch, clean tree, HEAD, and the
commits that touched the schema file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.errors import CommandError
from bot.shell import run_command

_SEP = "\x1f"


@dataclass(frozen=True)
class GitState:
    branch: str
    commit: str
    dirty_files: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.dirty_files


async def _git(checkout: Path, *args: str) -> str:
    result = await run_command(["git", "-C", str(checkout), *args], timeout=60)
    if not result.ok:
        raise CommandError(
            f"git {args[0]} failed in {checkout}: {result.output_tail.strip() or 'no output'}",
            exit_code=result.exit_code,
            output_tail=result.output_tail,
        )
    return result.output_tail


async def read_git_state(checkout: Path) -> GitState:
    if not (checkout / ".git").exists():
        raise CommandError(f"{checkout} is not a git checkout (no .git)")
    branch = (await _git(checkout, "rev-parse", "--abbrev-ref", "HEAD")).strip()
    commit = (await _git(checkout, "rev-parse", "HEAD")).strip()
    status = await _git(checkout, "status", "--porcelain", "--untracked-files=normal")
    dirty = tuple(line[3:] for line in status.splitlines() if line.strip())
    return GitState(branch=branch, commit=commit, dirty_files=dirty)


async def schema_commits(
    checkout: Path, schema_path: str, *, since: str | None, limit: int = 20
) -> list[dict[str, str]]:
    """Commits touching ``schema_path`` after ``since`` (the last aligned commit), newest first;
    the latest ``limit`` when there is no earlier alignment or it is not an ancestor."""
    fmt = _SEP.join(["%H", "%s", "%an", "%aI"])
    args = ["log", f"--max-count={limit}", f"--format={fmt}"]
    if since:
        args.append(f"{since}..HEAD")
    try:
        out = await _git(checkout, *args, "--", schema_path)
    except CommandError:
        if not since:
            raise
        out = await _git(checkout, *args[:-1], "--", schema_path)
    commits = []
    for line in out.splitlines():
        parts = line.split(_SEP)
        if len(parts) == 4:
            commits.append(
                {"sha": parts[0], "subject": parts[1], "author": parts[2], "date": parts[3]}
            )
    return commits

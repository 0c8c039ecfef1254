"""``align run TARGET``: the whole workflow in a terminal, asking for the review decision."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from bot.config import Settings, load_settings
from bot.errors import AlignError
from bot.state import open_state_store
from bot.store import Run
from bot.tasks import TaskSupervisor
from bot.workflow.runner import Runner
from bot.workflow.terminal import TerminalProgress, ask_decision, is_waiting, review_card_text

_DECISION = {"approve": "approved", "reject": "rejected", "defer": "deferred"}


def add_decision_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--decision", choices=sorted(_DECISION), help="decide without a prompt (scripts)"
    )
    p.add_argument("--reviewer", help="who decides (default: ask at the prompt, or $USER)")
    p.add_argument("--reason", help="the decision's reason (required to reject)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the whole workflow for TARGET in this terminal")
    p.add_argument("target", nargs="?", help="target name (default: bot.default_target)")
    p.add_argument("--config", help="TOML config (default: $ALIGN_CONFIG)")
    p.add_argument("--requester", default=None, help="recorded requester (default: $USER)")
    add_decision_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, os.environ)
    return asyncio.run(drive(settings, args, requester=args.requester or _user()))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


async def drive(
    settings: Settings, args: argparse.Namespace, *, requester: str, via: str = "cli"
) -> int:
    """Start a run, take the review decision, and wait for the end; exit 0 only when IN SYNC."""
    supervisor = TaskSupervisor()
    progress = TerminalProgress()
    try:
        async with open_state_store(settings) as store:
            runner = Runner(
                settings=settings, store=store, supervisor=supervisor, listeners=[progress]
            )
            await runner.recover()
            run = await runner.start(target=args.target, requested_by=requester, via=via)
            run = await runner.wait(run.id)
            while is_waiting(run):
                run = await _review(runner, run, progress, args, requester)
            return _summary(run)
    except AlignError as err:
        print(f"align: {err.user_message()}", file=sys.stderr)
        return 1
    finally:
        await supervisor.close()


async def _review(
    runner: Runner, run: Run, progress: TerminalProgress, args: argparse.Namespace, requester: str
) -> Run:
    print(review_card_text(run, progress.review))
    choice = args.decision or await ask_decision()
    reviewer = args.reviewer or (
        _user() if args.decision else (await asyncio.to_thread(input, "reviewer name: ")).strip()
    )
    reason = args.reason
    if choice == "reject" and not reason:
        reason = (await asyncio.to_thread(input, "reason for rejecting: ")).strip()
    try:
        await runner.decide(run.id, decision=_DECISION[choice], user=reviewer, reason=reason)
    except AlignError as err:
        print(f"decision refused: {err.user_message()}", file=sys.stderr)
        if args.decision:  # a scripted decision is not retried forever
            await runner.wait(run.id)
            raise
    return await runner.wait(run.id)


def _summary(run: Run) -> int:
    print(f"run {run.id}: {run.state.value}" + (f" — {run.outcome}" if run.outcome else ""))
    if run.error:
        print(f"error: {run.error}", file=sys.stderr)
    return (
        0
        if run.outcome == "IN SYNC" and run.state.value == "done"
        else (0 if run.state.value in ("rejected", "deferred") else 1)
    )

"""``align run TARGET``: the whole workflow in a terminal, asking for the review decision.

Decisions made here are recorded under the operating system's identity of whoever runs the
command (``cli:USER@HOST``), never a name typed as an argument; only identities listed in
``access.terminal_reviewers`` may decide, four-eyes applies as in Slack, and a DESTRUCTIVE plan
is approved by typing the target's name (``--confirm-target`` for scripts). Every prompt names
the plan it decides on, and a decision names that plan: if the run was re-diffed meanwhile,
the decision is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bot.config import Settings, load_settings
from bot.errors import AlignError
from bot.leftovers import clean_leftovers
from bot.state import open_state_store
from bot.store import Run
from bot.tasks import TaskSupervisor
from bot.workflow.authority import Actor
from bot.workflow.runner import Runner
from bot.workflow.terminal import (
    TerminalProgress,
    ask_confirmation,
    ask_decision,
    ask_reason,
    is_waiting,
    review_card_text,
)

_DECISION = {"approve": "approved", "reject": "rejected", "defer": "deferred"}


def add_decision_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--decision", choices=sorted(_DECISION), help="decide without a prompt (scripts)"
    )
    p.add_argument("--reason", help="the decision's reason (required to reject)")
    p.add_argument(
        "--confirm-target",
        metavar="NAME",
        help="the target's name, required with --decision approve on a DESTRUCTIVE plan",
    )
    p.add_argument("--reviewer", help=argparse.SUPPRESS)  # refused: see _refuse_typed_identity


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the whole workflow for TARGET in this terminal")
    p.add_argument("target", nargs="?", help="target name (default: bot.default_target)")
    p.add_argument("--config", help="TOML config (default: $ALIGN_CONFIG)")
    add_decision_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.reviewer is not None:
        print(
            "align: --reviewer is not accepted: decisions at the terminal are recorded under "
            f"your operating-system identity ({Actor.this_terminal().key}), and only identities "
            "in access.terminal_reviewers may decide",
            file=sys.stderr,
        )
        return 2
    settings = load_settings(args.config, os.environ)
    return asyncio.run(drive(settings, args, requester=Actor.this_terminal().key))


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
            await clean_leftovers(store)
            await runner.recover()
            run = await runner.start(target=args.target, requested_by=requester, via=via)
            run = await runner.wait(run.id)
            while is_waiting(run):
                run = await _review(runner, run, progress, args)
            return _summary(run)
    except AlignError as err:
        print(f"align: {err.user_message()}", file=sys.stderr)
        return 1
    finally:
        await supervisor.close()


async def _review(
    runner: Runner, run: Run, progress: TerminalProgress, args: argparse.Namespace
) -> Run:
    plan_id = run.plan_id  # the plan this card shows: the decision is bound to it
    assert plan_id is not None
    print(review_card_text(run, progress.review))
    actor = Actor.this_terminal()
    choice = args.decision or await ask_decision(plan_id, actor.key)
    reason = args.reason
    if choice == "reject" and not reason:
        reason = await ask_reason()
    confirmation = args.confirm_target
    verdict = (run.data.get("review") or {}).get("verdict")
    if choice == "approve" and verdict == "DESTRUCTIVE" and not args.decision:
        confirmation = await ask_confirmation(run.target)
    try:
        await runner.decide(
            plan_id,
            decision=_DECISION[choice],
            actor=actor,
            reason=reason,
            confirmation=confirmation,
        )
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

"""The ``/align`` subcommands that drive the workflow: start, cancel, resume, history, report,
verify. Each runs in a supervised task after the ack and returns the ephemeral reply.

Permission is decided here from settings (``access.requesters``; cancel: the run's requester
or a reviewer), never from the payload; the Runner enforces the rest (one run per target,
states). A refusal is a :class:`RunRefused`, which ``handlers/errors.py`` turns into the reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import RunRefused
from bot.slack import replies
from bot.slack.blocks import REFUSALS_SHOWN, Message, escape, with_refusals
from bot.slack.delivery import run_message_link
from bot.workflow.drift import check_drift
from bot.workflow.run import ACTIVE_STATES, RunState

if TYPE_CHECKING:
    from bot.app import Deps
    from bot.store import Run
    from bot.workflow.runner import Runner
    from handlers.commands import CommandContext

log = logging.getLogger(__name__)

__all__ = [
    "CancelRequest",
    "HistoryRequest",
    "ReportRequest",
    "ResumeRequest",
    "StartRequest",
    "VerifyRequest",
    "run_cancel",
    "run_history",
    "run_report",
    "run_resume",
    "run_start",
    "run_verify",
]

HISTORY_LIMIT = 10


@dataclass(frozen=True)
class StartRequest:
    target: str | None = None


@dataclass(frozen=True)
class CancelRequest:
    run_id: str | None = None


@dataclass(frozen=True)
class ResumeRequest:
    run_id: str | None = None


@dataclass(frozen=True)
class HistoryRequest:
    target: str | None = None


@dataclass(frozen=True)
class ReportRequest:
    run_id: str | None = None


@dataclass(frozen=True)
class VerifyRequest:
    target: str | None = None


def _runner(deps: Deps) -> Runner:
    if deps.runner is None:
        raise RunRefused("the workflow is not available in this process")
    return deps.runner


async def _require_requester(deps: Deps, user: str) -> None:
    assert deps.access is not None
    verdict = await deps.access.requester(user)
    if not verdict.allowed:
        raise RunRefused(verdict.reason)


async def _find(deps: Deps, run_id: str | None, *, states: frozenset[RunState] | None) -> Run:
    """The named run, or the default target's latest run in ``states``."""
    if run_id is not None:
        run = await deps.store.get_run(run_id)
        if run is None:
            raise RunRefused(f"no run {run_id} (see /align history)")
        return run
    target = deps.settings.target(None).name
    for run in await deps.store.list_runs(target=target, limit=50):
        if states is None or run.state in states:
            return run
    raise RunRefused(f"no matching run on '{target}'; name one: /align history {target}")


async def run_start(request: StartRequest, ctx: CommandContext, deps: Deps) -> Message:
    runner = _runner(deps)
    target = deps.settings.target(request.target)  # unknown target → RunRefused naming them
    await _require_requester(deps, ctx.user_id)
    channel = target.channel or deps.settings.channel or ctx.channel_id or None
    try:
        run = await runner.start(
            target=target.name, requested_by=ctx.user_id, via="slack", channel=channel
        )
    except RunRefused as exc:
        raise await _pointing_at_holder(deps, target.name, exc) from exc
    where = f" in <#{channel}>" if channel else ""
    return replies.notice(
        f":rocket: Run `{escape(run.id)}` on `{escape(target.name)}` started; follow it{where}."
    )


async def _pointing_at_holder(deps: Deps, target: str, refused: RunRefused) -> RunRefused:
    """A busy refusal that links to the run holding the target (its card, its buttons)."""
    holder = await deps.store.active_run(target)
    if holder is None:
        return refused
    link = run_message_link(holder)
    where = (
        f" Open its message: {link}"
        if link
        else " Its message has not reached Slack yet; it is posted as soon as Slack answers."
    )
    return RunRefused(refused.message + "." + where, **refused.context)


async def run_cancel(request: CancelRequest, ctx: CommandContext, deps: Deps) -> Message:
    runner = _runner(deps)
    run = await _find(deps, request.run_id, states=ACTIVE_STATES | {RunState.DEFERRED})
    if ctx.user_id != run.requested_by:
        assert deps.access is not None
        verdict = await deps.access.reviewer(ctx.user_id)
        if not verdict.allowed:
            raise RunRefused("only the run's requester or a reviewer can cancel it")
    cancelled = await runner.cancel(run.id, user=ctx.user_id)
    return replies.notice(f":heavy_multiplication_x: Run `{escape(cancelled.id)}` cancelled.")


async def run_resume(request: ResumeRequest, ctx: CommandContext, deps: Deps) -> Message:
    runner = _runner(deps)
    run = await _find(deps, request.run_id, states=frozenset({RunState.DEFERRED}))
    await _require_requester(deps, ctx.user_id)
    await runner.resume(run.id, user=ctx.user_id)
    return replies.notice(
        f":arrow_forward: Run `{escape(run.id)}` resumed: production is diffed again and a "
        "fresh review card follows."
    )


async def run_history(request: HistoryRequest, ctx: CommandContext, deps: Deps) -> Message:
    if request.target is not None:
        deps.settings.target(request.target)  # unknown → refusal naming the configured ones
    runs = await deps.store.list_runs(target=request.target, limit=HISTORY_LIMIT)
    message = replies.history_message(request.target, runs, now=deps.clock.now())
    assert deps.access is not None
    if (await deps.access.reviewer(ctx.user_id)).allowed:  # refusals are for reviewers' eyes
        refused = await deps.store.refusals(target=request.target, limit=REFUSALS_SHOWN)
        message = with_refusals(message, refused, now=deps.clock.now())
    return message


async def run_report(request: ReportRequest, ctx: CommandContext, deps: Deps) -> Message:
    from bot.report import labels_for, load_report, report_files

    run = await _find(deps, request.run_id, states=None)
    masker = deps.settings.masker()
    labels = labels_for(deps.settings.targets.get(run.target))
    report = await load_report(deps.store, run.id, masker=masker, labels=labels)
    files = report_files(report, masker=masker)
    channel = run.channel or ctx.channel_id
    for name, content in files.items():
        await deps.notifier.upload_file(
            channel,
            filename=f"align-report-{name}" if name.endswith(".md") else f"align-{name}",
            content=content,
            title=name,
            thread_ts=run.message_ts if run.channel else None,
        )
    where = "the run's thread" if run.message_ts and run.channel else f"<#{channel}>"
    return replies.notice(f":page_facing_up: Report of run `{escape(run.id)}` uploaded to {where}.")


async def run_verify(request: VerifyRequest, ctx: CommandContext, deps: Deps) -> Message:
    target = deps.settings.target(request.target)
    drift = await check_drift(target)
    return replies.drift_message(drift)

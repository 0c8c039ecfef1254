"""``/align <subcommand> ...``: parse the text into a typed request, ack, then answer.

Parsing is pure (:func:`parse_command`). Each subcommand is a :class:`Subcommand`: its usage
line for the help, a parser for its arguments and the coroutine that produces the reply.
Subcommands that touch I/O are ``deferred``: the listener acks at once (Slack's 3-second
window) and a supervised task posts the answer to the command's ``response_url``. Pure ones
(help) answer in the ack itself. All replies are ephemeral. Failures go through
``handlers/errors.py``.

Read policy: the ``read`` subcommands (status, history, report, verify) first ask
``Access.reader`` (``access.readers``; empty = anyone in the installed workspace). A refusal is
audited and answered like any other refusal; help stays open to everyone.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import RunRefused
from bot.slack import blocks
from bot.slack.blocks import CommandHelp, Message
from handlers.errors import replying_on_failure
from handlers.refusals import audit_refusal
from handlers.run_commands import (
    CancelRequest,
    HistoryRequest,
    ReportRequest,
    ResumeRequest,
    StartRequest,
    VerifyRequest,
    run_cancel,
    run_history,
    run_report,
    run_resume,
    run_start,
    run_verify,
)

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.app import Deps

log = logging.getLogger(__name__)

__all__ = [
    "SUBCOMMANDS",
    "CommandContext",
    "HelpRequest",
    "StatusRequest",
    "Subcommand",
    "on_align_command",
    "parse_command",
]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TARGET = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_STATUS_RUNS_PER_TARGET = 3


@dataclass(frozen=True)
class CommandContext:
    """Who typed the command and where (from the verified slash-command body)."""

    user_id: str
    channel_id: str
    team_id: str
    text: str
    response_url: str | None
    trigger_id: str | None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> CommandContext:
        return cls(
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            team_id=str(body.get("team_id", "")),
            text=str(body.get("text") or ""),
            response_url=body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
        )


@dataclass(frozen=True)
class HelpRequest:
    problem: str | None = None  # mrkdwn, already escaped


@dataclass(frozen=True)
class StatusRequest:
    run_id: str | None = None


Request = (
    HelpRequest
    | StatusRequest
    | StartRequest
    | CancelRequest
    | ResumeRequest
    | HistoryRequest
    | ReportRequest
    | VerifyRequest
)
Runner = Callable[[Any, CommandContext, "Deps"], Awaitable[Message]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: CommandHelp
    parse: Callable[[list[str]], Request]
    run: Runner
    deferred: bool
    read: bool = False  # subject to the read policy (access.readers)


# ----------------------------------------------------------------------------- parsing
def _parse_help(args: list[str]) -> Request:
    return HelpRequest()


def _parse_status(args: list[str]) -> Request:
    if not args:
        return StatusRequest()
    if len(args) > 1:
        return HelpRequest(problem="`status` takes at most one run id.")
    if not _RUN_ID.match(args[0]):
        return HelpRequest(problem=f"`{blocks.escape(args[0][:80])}` is not a run id.")
    return StatusRequest(run_id=args[0])


def _one_optional(name: str, args: list[str], pattern: re.Pattern[str], what: str) -> Any:
    """Zero or one argument matching ``pattern``: the value, None, or a HelpRequest."""
    if not args:
        return None
    if len(args) > 1:
        return HelpRequest(problem=f"`{name}` takes at most one {what}.")
    if not pattern.match(args[0]):
        return HelpRequest(problem=f"`{blocks.escape(args[0][:80])}` is not a {what}.")
    return args[0]


def _parser(name: str, make: Callable[[str | None], Request], *, target: bool) -> Callable:
    pattern, what = (_TARGET, "target name") if target else (_RUN_ID, "run id")

    def parse(args: list[str]) -> Request:
        value = _one_optional(name, args, pattern, what)
        return value if isinstance(value, HelpRequest) else make(value)

    return parse


def parse_command(text: str) -> Request:
    """``"status 20261124-3f9a1c"`` → ``StatusRequest(run_id=...)``; anything unknown → help
    with a problem that says what was wrong."""
    words = text.split()
    if not words:
        return HelpRequest()
    name, args = words[0].lower(), words[1:]
    spec = _BY_NAME.get(name)
    if spec is None:
        shown = blocks.escape(words[0][:80])
        return HelpRequest(problem=f"Unknown subcommand `{shown}`.")
    return spec.parse(args)


# ----------------------------------------------------------------------------- answers
async def _run_help(request: HelpRequest, ctx: CommandContext, deps: Deps) -> Message:
    return blocks.help_message(
        [s.help for s in SUBCOMMANDS], targets=deps.settings.targets, problem=request.problem
    )


async def _run_status(request: StatusRequest, ctx: CommandContext, deps: Deps) -> Message:
    now = deps.clock.now()
    if request.run_id is not None:
        run = await deps.store.get_run(request.run_id)
        if run is None:
            return blocks.unknown_run_message(request.run_id)
        return blocks.run_detail_message(run, now=now)
    recent = await deps.store.list_runs(limit=100)
    by_target: dict[str, list[Any]] = defaultdict(list)
    for run in recent:  # newest first
        if len(by_target[run.target]) < _STATUS_RUNS_PER_TARGET:
            by_target[run.target].append(run)
    return blocks.status_message(by_target, targets=deps.settings.targets, now=now)


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        name="help",
        help=CommandHelp("/align help", "this help"),
        parse=_parse_help,
        run=_run_help,
        deferred=False,
    ),
    Subcommand(
        name="status",
        help=CommandHelp("/align status [RUN_ID]", "latest runs per target, or one run in detail"),
        parse=_parse_status,
        run=_run_status,
        deferred=True,
        read=True,
    ),
    Subcommand(
        name="start",
        help=CommandHelp("/align start [TARGET]", "start a reviewed alignment run"),
        parse=_parser("start", StartRequest, target=True),
        run=run_start,
        deferred=True,
    ),
    Subcommand(
        name="cancel",
        help=CommandHelp("/align cancel [RUN_ID]", "cancel a run before it applies"),
        parse=_parser("cancel", CancelRequest, target=False),
        run=run_cancel,
        deferred=True,
    ),
    Subcommand(
        name="resume",
        help=CommandHelp("/align resume [RUN_ID]", "resume a deferred run (re-diffed first)"),
        parse=_parser("resume", ResumeRequest, target=False),
        run=run_resume,
        deferred=True,
    ),
    Subcommand(
        name="history",
        help=CommandHelp("/align history [TARGET]", "the last runs"),
        parse=_parser("history", HistoryRequest, target=True),
        run=run_history,
        deferred=True,
        read=True,
    ),
    Subcommand(
        name="report",
        help=CommandHelp("/align report [RUN_ID]", "upload a run's report again"),
        parse=_parser("report", ReportRequest, target=False),
        run=run_report,
        deferred=True,
        read=True,
    ),
    Subcommand(
        name="verify",
        help=CommandHelp("/align verify [TARGET]", "drift check only: no snapshot, no apply"),
        parse=_parser("verify", VerifyRequest, target=True),
        run=run_verify,
        deferred=True,
        read=True,
    ),
)
_BY_NAME = {s.name: s for s in SUBCOMMANDS}
_FOR_REQUEST: dict[type, Subcommand] = {
    HelpRequest: _BY_NAME["help"],
    StatusRequest: _BY_NAME["status"],
    StartRequest: _BY_NAME["start"],
    CancelRequest: _BY_NAME["cancel"],
    ResumeRequest: _BY_NAME["resume"],
    HistoryRequest: _BY_NAME["history"],
    ReportRequest: _BY_NAME["report"],
    VerifyRequest: _BY_NAME["verify"],
}


# ----------------------------------------------------------------------------- listener
def on_align_command(deps: Deps) -> Callable[..., Awaitable[None]]:
    """The ``/align`` listener, closed over ``deps`` (nothing global)."""

    async def on_command_align(ack: Callable[..., Awaitable[None]], body: dict[str, Any]) -> None:
        ctx = CommandContext.from_body(body)
        request = parse_command(ctx.text)
        spec = _FOR_REQUEST[type(request)]
        what = f"/align {spec.name}"
        if not spec.deferred:
            reply = await replying_on_failure(spec.run(request, ctx, deps), what=what)
            await ack(text=reply.text, blocks=reply.blocks)
            return
        await ack()
        deps.supervisor.spawn(_answer_later(spec, request, ctx, deps), name=what)

    return on_command_align


# Subcommands that ask the bot to act: a refusal of one is audited (who, what, why).
_AUDITED = frozenset({"start", "cancel", "resume"})


async def _run_audited(
    spec: Subcommand, request: Request, ctx: CommandContext, deps: Deps
) -> Message:
    try:
        return await spec.run(request, ctx, deps)
    except RunRefused as exc:
        if spec.name in _AUDITED:
            run_id = getattr(request, "run_id", None)
            target = getattr(request, "target", None)
            if run_id is None and target is None:  # the command meant the default target
                target = deps.settings.default_target
            await audit_refusal(
                deps,
                actor=ctx.user_id,
                what=f"command.{spec.name}",
                why=exc.user_message(),
                run_id=run_id,
                target=target,
                detail={"text": ctx.text[:200]},
            )
        raise


async def _answer_later(
    spec: Subcommand, request: Request, ctx: CommandContext, deps: Deps
) -> None:
    what = f"/align {spec.name}"
    work = (
        _read_checked(spec, request, ctx, deps)
        if spec.read
        else _run_audited(spec, request, ctx, deps)
    )
    reply = await replying_on_failure(work, what=what)
    if ctx.response_url is None:
        log.warning("%s: no response_url to answer on", what)
        return
    await deps.notifier.respond(ctx.response_url, reply)


async def _read_checked(
    spec: Subcommand, request: Request, ctx: CommandContext, deps: Deps
) -> Message:
    """Run a read subcommand once the read policy allows ``ctx.user_id``; else RunRefused."""
    assert deps.access is not None
    verdict = await deps.access.reader(ctx.user_id)
    if not verdict.allowed:
        await deps.store.audit(
            ctx.user_id, f"command.{spec.name}.refused", detail={"why": verdict.reason}
        )
        raise RunRefused(verdict.reason)
    return await spec.run(request, ctx, deps)


def register_commands(app: AsyncApp, deps: Deps, *, command: str) -> None:
    app.command(command)(on_align_command(deps))

"""The bot's HTTP face: the bolt AsyncApp and the aiohttp application around it.

    POST /slack/events   slash commands, interactivity, events (signature-verified by bolt)
    GET  /healthz        200 + JSON when the state store answers, 503 + JSON when it does not
    GET  /metrics        Prometheus text

``build_app`` does no I/O: it wires objects. Resources that need the running loop (the Socket
Mode connection, the background-task supervisor's shutdown) live in aiohttp ``cleanup_ctx`` and
are unwound in reverse order when the runner is cleaned up (SIGTERM in ``align serve``).
Handlers receive a :class:`Deps` and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

import handlers
from bot.clock import Clock, SystemClock
from bot.config import Settings, SlackSettings
from bot.errors import ConfigError, StoreError
from bot.leftovers import clean_leftovers
from bot.metrics import CONTENT_TYPE, Metrics
from bot.observe import make_observer
from bot.slack.access import Access
from bot.slack.client import build_web_client
from bot.slack.live import RunMessenger
from bot.slack.notifier import Notifier
from bot.slack.request_shape import shape_problem
from bot.store import Store
from bot.tasks import TaskSupervisor
from bot.workflow.authority import Authority
from bot.workflow.runner import Runner
from handlers.middleware import ENVELOPE_HEADER, request_kind

log = logging.getLogger(__name__)

__all__ = [
    "BUNDLE_KEY",
    "AppBundle",
    "Deps",
    "build_app",
    "startup_problems",
]

HEALTH_TIMEOUT_S = 3.0
SHUTDOWN_GRACE_S = 5.0
# An in-flight Slack call gets this long at shutdown before its item is left to another replica.
OUTBOX_GRACE_S = 2.0


@dataclass
class Deps:
    """Everything a handler may use. ``runner`` drives runs; ``messenger`` is its Slack
    listener; ``access`` answers who may do what; ``in_flight`` guards one-at-a-time actions
    (a restore) against double clicks within this process."""

    settings: Settings
    store: Store
    notifier: Notifier
    supervisor: TaskSupervisor
    metrics: Metrics
    clock: Clock
    runner: Runner | None = None
    messenger: RunMessenger | None = None
    access: Access | None = None
    in_flight: set[str] = field(default_factory=set)


@dataclass
class AppBundle:
    bolt: AsyncApp
    web: web.Application
    deps: Deps
    socket_mode: bool


BUNDLE_KEY = web.AppKey("align_bundle", AppBundle)
SOCKET_KEY = web.AppKey("align_socket_mode", AsyncSocketModeHandler)


class _DropClientTokenNotice(logging.Filter):
    """Bolt warns that ``SLACK_BOT_TOKEN`` (read from the environment) is unused because we pass
    a client built with that same token; the notice is noise, drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("As you gave `client` as well")


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _DropClientTokenNotice) for f in logger.filters):
        logger.addFilter(_DropClientTokenNotice())
    return logger


def startup_problems(slack: SlackSettings) -> list[str]:
    """What is missing for the bot to talk to Slack (empty when it can start)."""
    problems = []
    if slack.bot_token is None:
        problems.append("SLACK_BOT_TOKEN: not set (the bot token, xoxb-…)")
    elif not slack.bot_token.value.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: expected a bot token starting with xoxb-")
    if slack.app_token is None and slack.signing_secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET: not set (needed to verify requests in HTTP mode; "
            "or set SLACK_APP_TOKEN for Socket Mode)"
        )
    if slack.app_token is not None and not slack.app_token.value.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN: expected an app-level token starting with xapp-")
    return problems


def build_app(
    settings: Settings,
    store: Store,
    *,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
) -> AppBundle:
    """Wire bolt, handlers and the web routes. Raises ConfigError when Slack settings lack
    what the chosen mode needs."""
    problems = startup_problems(settings.slack)
    if problems:
        raise ConfigError(problems, source="Slack settings")
    metrics = metrics or Metrics()
    client = build_web_client(settings.slack)
    socket_mode = settings.slack.app_token is not None
    supervisor = TaskSupervisor(on_failure=lambda _name, _exc: metrics.task_failures.inc())
    deps = Deps(
        settings=settings,
        store=store,
        notifier=Notifier(client, metrics=metrics),
        supervisor=supervisor,
        metrics=metrics,
        clock=clock or SystemClock(),
    )
    deps.access = Access(settings, deps.notifier)
    deps.messenger = RunMessenger(
        settings=settings, store=store, notifier=deps.notifier, supervisor=supervisor
    )
    deps.runner = Runner(
        settings=settings,
        store=store,
        supervisor=supervisor,
        clock=deps.clock,
        listeners=[deps.messenger, make_observer(metrics)],
        authority=Authority(settings.policy, slack=deps.access),
    )
    secret = settings.slack.signing_secret
    bolt = AsyncApp(
        client=client,
        signing_secret=secret.value if secret else "",
        process_before_response=False,
        request_verification_enabled=not socket_mode,
        logger=_bolt_logger(),
    )
    handlers.register(bolt, deps)

    webapp = web.Application(middlewares=[_refuse_malformed])
    bundle = AppBundle(bolt=bolt, web=webapp, deps=deps, socket_mode=socket_mode)
    webapp[BUNDLE_KEY] = bundle
    if not socket_mode:
        webapp.router.add_post("/slack/events", _slack_events)
    webapp.router.add_get("/healthz", _healthz)
    webapp.router.add_get("/metrics", _metrics)
    webapp.cleanup_ctx.append(_supervisor_ctx)
    webapp.cleanup_ctx.append(_workflow_ctx)
    webapp.cleanup_ctx.append(_outbox_ctx)
    if socket_mode:
        webapp.cleanup_ctx.append(_socket_mode_ctx)
    return bundle


# --------------------------------------------------------------------------- routes
def _malformed(bundle: AppBundle, reason: str) -> web.Response:
    log.warning("malformed slack request refused: %s", reason)
    bundle.deps.metrics.requests.inc(kind="other", status="400")
    return web.json_response({"error": "malformed request"}, status=400)


@web.middleware
async def _refuse_malformed(request: web.Request, handler: Any) -> web.StreamResponse:
    """A request to ``/slack/events`` whose envelope bolt cannot take (see
    :mod:`bot.slack.request_shape`) never reaches bolt, which would fail building its context
    (a 500): a correctly signed one is answered 400, an unsigned one 401, each with a log line.
    A well-formed request goes on to bolt, which verifies the signature itself."""
    bundle = request.app[BUNDLE_KEY]
    secret = bundle.deps.settings.slack.signing_secret
    if request.method != "POST" or request.path != "/slack/events" or secret is None:
        return await handler(request)
    raw = await request.read()
    try:
        problem = shape_problem(raw.decode("utf-8"), request.headers.get("Content-Type"))
    except UnicodeDecodeError:
        problem = "body is not UTF-8 text"
    if problem is None:
        return await handler(request)
    signed = SignatureVerifier(secret.value).is_valid(
        body=raw,
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        signature=request.headers.get("X-Slack-Signature", ""),
    )
    if not signed:
        log.warning("unsigned malformed slack request refused: %s", problem)
        bundle.deps.metrics.requests.inc(kind="other", status="401")
        return web.json_response({"error": "invalid request"}, status=401)
    return _malformed(bundle, problem)


async def _slack_events(request: web.Request) -> web.StreamResponse:
    bundle = request.app[BUNDLE_KEY]
    started = time.perf_counter()
    try:
        bolt_request = await to_bolt_request(request)
    except ValueError:  # a `payload` field that is not JSON: nothing to verify or dispatch
        return _malformed(bundle, "body or `payload` is not JSON")
    kind = request_kind(bolt_request.body)
    bolt_response = await bundle.bolt.async_dispatch(bolt_request)
    metrics = bundle.deps.metrics
    metrics.ack_seconds.observe(time.perf_counter() - started, kind=kind)
    metrics.requests.inc(kind=kind, status=str(bolt_response.status))
    return await to_aiohttp_response(bolt_response)


async def _healthz(request: web.Request) -> web.StreamResponse:
    bundle = request.app[BUNDLE_KEY]
    mode = "socket" if bundle.socket_mode else "http"
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await bundle.deps.store.ping()
    except (StoreError, TimeoutError) as exc:
        log.warning("health check: state store down (%s)", type(exc).__name__)
        return web.json_response(
            {"status": "unavailable", "store": "down", "mode": mode}, status=503
        )
    except Exception:  # a health probe answers; it never takes the process down
        log.exception("health check failed unexpectedly")
        return web.json_response(
            {"status": "unavailable", "store": "error", "mode": mode}, status=503
        )
    return web.json_response(
        {
            "status": "ok",
            "store": "ok",
            "mode": mode,
            "background_tasks": bundle.deps.supervisor.running,
        }
    )


async def _metrics(request: web.Request) -> web.StreamResponse:
    body = request.app[BUNDLE_KEY].deps.metrics.render()
    return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPE})


# --------------------------------------------------------------------------- lifecycle
async def _supervisor_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[BUNDLE_KEY].deps.supervisor.close(grace=SHUTDOWN_GRACE_S)


async def _workflow_ctx(app: web.Application) -> AsyncIterator[None]:
    """At start-up: resolve runs a dead process left behind (a run found applying is never
    applied again) and bring recent run messages up to date."""
    deps = app[BUNDLE_KEY].deps
    if deps.runner is not None:
        # Before anything new starts: copies of production a killed process left running.
        await clean_leftovers(deps.store)
        resolved = await deps.runner.recover()
        if resolved:
            log.warning("%d run(s) were interrupted by the previous process", len(resolved))
        # A run whose process died moments ago still has a fresh heartbeat: the sweep finds it
        # once the heartbeat goes quiet.
        # A background loop: cancelled at once at shutdown (only a run's work gets the grace).
        deps.supervisor.spawn(deps.runner.sweep_orphans(), name="orphan sweep", background=True)
    if deps.messenger is not None:
        await deps.messenger.catch_up()
    yield


async def _outbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """This replica delivers what is owed to Slack (whichever replica owed it); on the way out
    it gives back what it holds, so another replica takes over at once."""
    messenger = app[BUNDLE_KEY].deps.messenger
    if messenger is None:
        yield
        return
    messenger.start()
    try:
        yield
    finally:
        await messenger.close(grace=OUTBOX_GRACE_S)


class _MeasuredSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode with the same request metrics as the HTTP route. Each envelope's id travels
    to the middleware in ``ENVELOPE_HEADER`` (the replay key when there is no signature)."""

    metrics: Metrics

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.perf_counter()
        payload = req.payload if isinstance(req.payload, dict) else {}
        kind = request_kind(payload)
        headers = {**(build_headers(req) or {}), ENVELOPE_HEADER: req.envelope_id}
        bolt_request = AsyncBoltRequest(mode="socket_mode", body=req.payload, headers=headers)
        bolt_response = await self.app.async_dispatch(bolt_request)
        await send_async_response(client, req, bolt_response, time.time())
        self.metrics.ack_seconds.observe(time.perf_counter() - started, kind=kind)
        self.metrics.requests.inc(kind=kind, status="socket")


async def _socket_mode_ctx(app: web.Application) -> AsyncIterator[None]:
    bundle = app[BUNDLE_KEY]
    token = bundle.deps.settings.slack.app_token
    assert token is not None  # only installed in socket mode
    handler = _MeasuredSocketModeHandler(bundle.bolt, token.value, web_client=bundle.bolt.client)
    handler.metrics = bundle.deps.metrics
    await handler.connect_async()
    app[SOCKET_KEY] = handler
    log.info("socket mode connected")
    try:
        yield
    finally:
        await handler.close_async()

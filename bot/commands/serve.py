"""``align serve``: run the Slack bot until SIGTERM/SIGINT.

Start-up refuses, with one message listing what is missing, when the config, the Slack tokens,
the signing secret or the state store are missing or wrong: config and environment are checked
first, then Slack is asked who the token belongs to (``auth.test``), then the store is opened.
Without ``ALIGN_STATE_URL`` the state lives in an embedded durable PostgreSQL cluster under the
data directory (``state-pg``), database ``align_state``, kept across restarts (``bot.state``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import replace

from aiohttp import web

from bot.app import build_app, startup_problems
from bot.config import Secret, Settings, SlackSettings, load_settings
from bot.errors import ConfigError, NotifyError, StoreError
from bot.log import setup_logging
from bot.metrics import Metrics
from bot.scheduler import scheduler_context
from bot.slack.client import build_web_client
from bot.slack.notifier import Notifier
from bot.state import open_state_store
from bot.store import Store

log = logging.getLogger(__name__)

HTTP_SHUTDOWN_TIMEOUT_S = 10.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the Slack bot",
        description="Run the Slack bot: HTTP (POST /slack/events, GET /healthz, GET /metrics), "
        "or Socket Mode when SLACK_APP_TOKEN is set.",
    )
    parser.add_argument("--config", help="config file (default: $ALIGN_CONFIG)")
    parser.add_argument("--host", help="address to listen on (default: bot.host or 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port (default: $PORT, bot.port or 3000)")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    settings = read_settings(args.config, os.environ, host=args.host, port=args.port)
    setup_logging(level=settings.log_level, fmt=settings.log_format, masker=settings.masker())
    return asyncio.run(serve(settings))


def read_settings(
    config: str | None, environ: Mapping[str, str], *, host: str | None, port: int | None
) -> Settings:
    """Settings plus the serve-only checks, all problems in one ConfigError."""
    if not config and not environ.get("ALIGN_CONFIG"):
        raise ConfigError(
            ["no configuration file: pass --config FILE or set ALIGN_CONFIG"],
            source="configuration",
        )
    try:
        settings = load_settings(config, environ)
    except ConfigError as exc:  # report the Slack problems too, all in one message
        slack = SlackSettings(
            bot_token=_secret(environ, "SLACK_BOT_TOKEN"),
            signing_secret=_secret(environ, "SLACK_SIGNING_SECRET"),
            app_token=_secret(environ, "SLACK_APP_TOKEN"),
            api_url=environ.get("SLACK_API_URL") or None,
        )
        source = str(exc.context.get("source", "configuration"))
        raise ConfigError(exc.problems + startup_problems(slack), source=source) from exc
    problems = startup_problems(settings.slack)
    if problems:
        raise ConfigError(problems, source="configuration")
    if host is not None:
        settings = replace(settings, host=host)
    if port is not None:
        settings = replace(settings, port=port)
    return settings


def _secret(environ: Mapping[str, str], name: str) -> Secret | None:
    return Secret(environ[name]) if environ.get(name) else None


async def check_slack(settings: Settings) -> dict[str, object]:
    """Ask Slack who the bot token belongs to; a refused or unreachable Slack stops start-up."""
    notifier = Notifier(build_web_client(settings.slack, max_retries=1), metrics=Metrics())
    try:
        identity = await notifier.auth_test()
    except NotifyError as exc:
        error = exc.context.get("error")
        if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
            raise ConfigError(
                [f"SLACK_BOT_TOKEN: Slack rejected the token ({error})"], source="configuration"
            ) from exc
        where = settings.slack.api_url or "https://slack.com/api/"
        raise ConfigError(
            [f"Slack API at {where} did not answer auth.test: {exc.user_message()}"],
            source="configuration",
        ) from exc
    return identity


async def serve(settings: Settings) -> int:
    """Check Slack, open the store, serve until SIGTERM/SIGINT; returns the exit code."""
    identity = await check_slack(settings)
    log.info(
        "slack identity checked",
        extra={"team_id": identity.get("team_id"), "bot_user_id": identity.get("user_id")},
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with open_state_store(settings) as store:
            await _run_until(stop, settings, store)
    except StoreError as exc:
        raise ConfigError([f"state store: {exc.user_message()}"], source="configuration") from exc
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("align serve stopped")
    return 0


async def _run_until(stop: asyncio.Event, settings: Settings, store: Store) -> None:
    bundle = build_app(settings, store)
    # Scheduled jobs (drift watch, reminders, expiry, retention) live and die with the app.
    bundle.web.cleanup_ctx.append(scheduler_context(bundle.deps))
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=HTTP_SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        for address in runner.addresses:
            host, port = address[0], address[1]
            log.info(
                "align serve listening on %s:%s (%s mode)",
                host,
                port,
                "socket" if bundle.socket_mode else "http",
            )
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()

"""``align report RUN_ID [--format md|json] [-o FILE] [--config FILE]``: re-render a stored
run's alignment report from the state store (ALIGN_STATE_URL, or the embedded state cluster
under the data directory, as ``align serve`` uses)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.config import Policy, Schedules, Secret, Settings, SlackSettings, Timeouts, load_settings
from bot.errors import CommandError
from bot.files import write_private
from bot.report import dumps_json, labels_for, load_report, render_markdown
from bot.report.model import ReportLabels
from bot.state import open_state_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render a stored run's alignment report")
    p.add_argument("run_id", metavar="RUN_ID", help="the run's id, e.g. 20261124-3f9a1c")
    p.add_argument("--format", choices=("md", "json"), default="md", help="default: md")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--config", metavar="FILE", help="TOML config (default: $ALIGN_CONFIG)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = _settings(args.config, os.environ)
    text = asyncio.run(render(settings, args.run_id, fmt=args.format))
    if args.output:
        out = Path(args.output)
        try:
            if out.exists() and not out.is_file():  # /dev/stdout, a pipe: the user's stream
                out.write_text(text)
            else:  # a report names production's schema and the SQL applied: private, even
                write_private(out, text)  # when it replaces a world-readable file
        except OSError as exc:
            raise CommandError(f"cannot write the report to {args.output}: {exc}") from exc
        print(f"report of run {args.run_id} written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


async def render(settings: Settings, run_id: str, *, fmt: str) -> str:
    """The report of ``run_id`` as Markdown (``md``) or JSON text."""
    masker = settings.masker()
    async with open_state_store(settings) as store:
        run = await store.get_run(run_id)
        labels = ReportLabels()
        if run is not None and run.target in settings.targets:
            labels = labels_for(settings.targets[run.target])
        report = await load_report(store, run_id, masker=masker, labels=labels)
    if fmt == "json":
        return dumps_json(report, masker=masker)
    return render_markdown(report, masker=masker)


def _settings(config: str | None, environ: Mapping[str, str]) -> Settings:
    """The configuration when one is named; otherwise just where the state store is (a report
    needs no targets: commands and labels then come from what the run recorded)."""
    if config or environ.get("ALIGN_CONFIG"):
        return load_settings(config, environ)

    def secret(name: str) -> Secret | None:
        return Secret(environ[name]) if environ.get(name) else None

    return Settings(
        config_path=None,
        data_dir=Path(environ.get("ALIGN_DATA_DIR") or ".align-data"),
        state_url=secret("ALIGN_STATE_URL"),
        host="127.0.0.1",
        port=0,
        channel=None,
        oncall=(),
        default_target=None,
        policy=Policy(),
        timeouts=Timeouts(),
        schedules=Schedules(),
        slack=SlackSettings(
            bot_token=secret("SLACK_BOT_TOKEN"),
            signing_secret=secret("SLACK_SIGNING_SECRET"),
            app_token=secret("SLACK_APP_TOKEN"),
            api_url=None,
        ),
        targets={},
    )

"""The ``align`` command line (also ``python -m bot``).

Each subcommand lives in ``bot/commands/<name>.py`` and registers itself through
``register(subparsers)``, setting ``func`` to a callable that returns the exit code. This file
only dispatches, so adding a command never touches another's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.errors import AlignError

COMMAND_MODULES: tuple[str, ...] = (
    "check_config",
    "review",
    "report",
    "serve",
    "diff",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="align",
        description="Safe, reviewable production schema alignment (Slack bot and CLI).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"bot.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AlignError as err:
        print(f"align {args.command}: {err.user_message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

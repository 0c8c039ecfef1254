"""The ``align`` command line (also ``python -m bot``).

Each subcommand lives in ``bot/commands/<name>.py`` and registers itself through
``register(subparsers)``, setting ``func`` to a callable that returns the exit code. This file
only dispatches, so adding a command never touches another's code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from bot.errors import AlignError

# command name -> module in bot/commands/
COMMANDS: dict[str, str] = {
    "serve": "serve",
    "run": "run",
    "demo": "demo",
    "diff": "diff",
    "review": "review",
    "report": "report",
    "check-config": "check_config",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. When ``argv`` names a command, only that command's module is imported: the
    others pull in the Slack bot and the workflow, which a quick ``align diff`` does not need."""
    parser = argparse.ArgumentParser(
        prog="align",
        description="Safe, reviewable production schema alignment (Slack bot and CLI).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((a for a in argv or () if not a.startswith("-")), None)
    names = [chosen] if chosen in COMMANDS else list(COMMANDS)
    for name in names:
        importlib.import_module(f"bot.commands.{COMMANDS[name]}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Whatever the caller's umask, what this process and its children (pg_dump, runbook
    # commands) create is private. bot/files.py sets modes explicitly too; this covers children.
    os.umask(0o077)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AlignError as err:
        print(f"align {args.command}: {err.user_message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

"""``align diff --from URL --to URL [--json] [--exit-code]``: the SQL that makes FROM equal TO.

Prints nothing when the schemas are equal. Warnings (object kinds the engine does not
handle, things it chose not to do) go to standard error as SQL comments, so standard
output stays a runnable script. With ``--exit-code``: 0 equal, 2 different, 1 error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.schema.compare import diff_databases
from bot.schema.introspect import DEFAULT_EXCLUDED_SCHEMAS, IntrospectOptions

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="print the SQL that makes FROM's schema equal TO's")
    p.add_argument(
        "--from",
        dest="from_url",
        required=True,
        metavar="URL",
        help="database to change (e.g. production)",
    )
    p.add_argument(
        "--to", dest="to_url", required=True, metavar="URL", help="database with the desired schema"
    )
    p.add_argument(
        "--json", action="store_true", help="statements with object, operation and destructive flag"
    )
    p.add_argument(
        "--exit-code", action="store_true", help="exit 0 when equal, 2 when different, 1 on error"
    )
    p.add_argument(
        "--exclude-table",
        action="append",
        default=[],
        metavar="NAME",
        help="table to ignore, NAME or SCHEMA.NAME (repeatable), e.g. _prisma_migrations",
    )
    p.add_argument(
        "--exclude-schema",
        action="append",
        default=[],
        metavar="SCHEMA",
        help="schema to ignore (repeatable)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = IntrospectOptions(
        excluded_tables=tuple(args.exclude_table),
        excluded_schemas=DEFAULT_EXCLUDED_SCHEMAS + tuple(args.exclude_schema),
    )
    plan = asyncio.run(diff_databases(args.from_url, args.to_url, options=options))
    if args.json:
        json.dump(plan.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(plan.sql)
        for warning in plan.warnings:
            print(f"-- warning: {warning}", file=sys.stderr)
    if args.exit_code:
        return 0 if plan.is_empty else 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Light entry point (``python -m bot.commands.diff``) that skips the bot's other imports."""
    from bot.errors import AlignError

    parser = argparse.ArgumentParser(prog="align")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["diff", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args))
    except AlignError as err:
        print(f"align diff: {err.user_message()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

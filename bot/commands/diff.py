"""``align diff --from URL --to URL [--json] [--exit-code]``: the SQL that makes FROM equal TO.

Prints nothing when the schemas are equal. Warnings (object kinds the engine does not
handle, things it chose not to do) go to standard error as SQL comments, so standard
output stays a runnable script. With ``--exit-code``: 0 equal, 2 different, 1 error.

A process's arguments are readable by every local user (``ps``, ``/proc/PID/cmdline``), so the
URLs should carry no password: the driver then takes it from ``PGPASSWORD`` or a passfile
(``PGPASSFILE``, else ``~/.pgpass``), as psql does. A URL with a password still works, with a
warning on standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from urllib.parse import parse_qsl, urlsplit

from bot.schema.compare import diff_databases
from bot.schema.introspect import DEFAULT_EXCLUDED_SCHEMAS, IntrospectOptions

__all__ = ["argv_password_warnings", "register", "run"]

PASSWORDS_EPILOG = """\
passwords: give URLs without one, e.g. postgresql://app@db.internal:5432/prod, and the
password in PGPASSWORD or a passfile (PGPASSFILE, default ~/.pgpass, lines of
host:port:database:user:password, mode 0600). Command-line arguments are visible to every
local user in `ps`; a URL that carries a password works but is warned about.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="print the SQL that makes FROM's schema equal TO's",
        epilog=PASSWORDS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--from",
        dest="from_url",
        required=True,
        metavar="URL",
        help="database to change (e.g. production); no password in it: see below",
    )
    p.add_argument(
        "--to",
        dest="to_url",
        required=True,
        metavar="URL",
        help="database with the desired schema; no password in it: see below",
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


def argv_password_warnings(command: str, options: dict[str, str | None]) -> list[str]:
    """One warning per ``--option URL`` whose URL carries a password (user-info or query)."""
    return [
        f"align {command}: warning: the {option} URL carries a password, visible to every "
        "local user in ps; use PGPASSWORD or a passfile (PGPASSFILE, ~/.pgpass) and a URL "
        "without the password"
        for option, url in options.items()
        if url and _carries_password(url)
    ]


def _carries_password(url: str) -> bool:
    """True if the URL holds a password (``user:pw@`` or ``?password=``); kept here rather
    than importing bot.snapshots, which would slow every ``align diff`` start."""
    try:
        parts = urlsplit(url)
        return bool(parts.password) or bool(dict(parse_qsl(parts.query)).get("password"))
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    urls = {"--from": args.from_url, "--to": args.to_url}
    for warning in argv_password_warnings("diff", urls):
        print(warning, file=sys.stderr)
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
    if not plan.complete:
        # Never a silent skip: the script above does not make FROM equal TO.
        print(
            f"align diff: the plan is incomplete: {len(plan.unplanned)} difference(s) align "
            "cannot plan: " + "; ".join(plan.unplanned),
            file=sys.stderr,
        )
        return 1
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

"""``align review FILE.sql [--against URL] [--json]``: the SQL analyzer from a terminal.

Exit code 0 whatever the verdict (the verdict is data: read it from the output or ``--json``);
1 when the input cannot be read, is not SQL text (a NUL byte, invalid UTF-8: ``SqlInputError``
says where), or the ``--against`` database cannot be reached. The file is read as bytes and
decoded by ``decode_sql``, so a leading byte order mark is stripped and noted, as psql does.

``--against`` takes a URL without a password: asyncpg reads it from ``PGPASSWORD`` or the
passfile (``PGPASSFILE``, default ``~/.pgpass``), so the password never has to be in argv, where
every local user can read it with ``ps``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bot.errors import ReviewInputError
from bot.review.analyze import analyze
from bot.review.model import Review
from bot.review.render import render_review_text
from bot.review.source import SqlSource, decode_sql


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="analyze a SQL migration script for destructive changes")
    p.add_argument("file", help="SQL script to review ('-' reads standard input)")
    p.add_argument(
        "--against",
        metavar="URL",
        help="database to estimate the impact on (read-only); give the URL without its "
        "password and the password in PGPASSWORD or a passfile (arguments show in ps)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--statement-timeout-ms",
        type=int,
        default=5000,
        help="statement_timeout for each impact query (default 5000)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sql = read_script(args.file)
    review = analyze(sql)
    if args.against:
        from bot.commands.diff import argv_password_warnings

        for warning in argv_password_warnings("review", {"--against": args.against}):
            print(warning, file=sys.stderr)
        review = asyncio.run(_with_impact(review, args.against, args.statement_timeout_ms))
    if args.json:
        json.dump(review.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_review_text(review, source=args.file))
    return 0


def read_script(name: str) -> SqlSource:
    """The script as psql would read it. ReviewInputError (exit 1) when it cannot be read;
    SqlInputError when it is not SQL text (a NUL byte, invalid UTF-8), naming the offset."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise ReviewInputError(f"cannot read {name}: {exc}") from exc
    return decode_sql(data, name="standard input" if name == "-" else name)


async def _with_impact(review: Review, url: str, timeout_ms: int) -> Review:
    from bot.review.impact import estimate_impact

    impacts = await estimate_impact(review, url, statement_timeout_ms=timeout_ms)
    return review.with_impact(impacts)

"""Round-trip harness shared by the corpus and the property tests.

Given the SQL of two databases A and B: create both, diff A→B, apply the plan to A
(transactional statements in one transaction, the others after it, one by one), then
judge A = B *without the differ*, by comparing normalised ``pg_dump --schema-only``
output, and finally check that the differ itself sees nothing left to do.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from bot.pgcluster import PgCluster
from bot.schema.diff import diff_schemas
from bot.schema.introspect import IntrospectOptions, fetch_schema
from bot.schema.ops import Plan
from bot.schema.restate import align_definitions
from bot.snapshots.pgtools import PgConn

_SKIP_LINE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )")


async def pg_dump_schema(cluster: PgCluster, url: str) -> str:
    conn = PgConn(url)  # the password goes in the environment, never in argv (`ps` shows it)
    proc = await asyncio.create_subprocess_exec(
        cluster.tool("pg_dump"),
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        "-d",
        conn.tool_url,
        env=conn.env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


def normalise_dump(text: str) -> list[str]:
    """pg_dump output as a sorted list of TOC entries, column order ignored.

    Column order is not part of what the differ promises (PostgreSQL cannot reorder
    columns without rebuilding a table), so lines inside CREATE TABLE (...) are sorted.
    """
    blocks = re.split(r"^--\n-- (?:Name|Data for Name): .*\n--\n", text, flags=re.M)
    out = []
    for block in blocks[1:]:
        lines = [ln for ln in block.splitlines() if ln.strip() and not _SKIP_LINE.match(ln)]
        body = "\n".join(lines)
        # the closing ")" may be followed by INHERITS / PARTITION BY / WITH lines
        m = re.match(r"^(CREATE (?:UNLOGGED )?TABLE [^\n]*\(\n)(.*?)(\n\).*)$", body, re.S)
        if m:
            cols = sorted(c.strip().rstrip(",") for c in m.group(2).split("\n"))
            body = m.group(1) + "\n".join(cols) + m.group(3)
        out.append(body)
    return sorted(out)


async def apply_plan(url: str, plan: Plan) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for st in plan.statements:
                if st.transactional:
                    await conn.execute(st.sql)
        for st in plan.statements:
            if not st.transactional:
                await conn.execute(st.sql)
    finally:
        await conn.close()


@dataclass
class RoundTrip:
    plan: Plan
    dump_a: list[str]
    dump_b: list[str]
    again: Plan


async def round_trip(
    cluster: PgCluster,
    make_db: Callable[..., Awaitable[str]],
    a_sql: str,
    b_sql: str,
    *,
    options: IntrospectOptions | None = None,
) -> RoundTrip:
    url_a = await make_db(a_sql.strip() or None)
    url_b = await make_db(b_sql.strip() or None)
    schema_a = await fetch_schema(url_a, options=options)
    schema_b = await fetch_schema(url_b, options=options)
    seen_a = await align_definitions(schema_a, schema_b, url_b)
    plan = diff_schemas(seen_a, schema_b)
    assert diff_schemas(seen_a, schema_b).sql == plan.sql, "plan is not deterministic"
    try:
        await apply_plan(url_a, plan)
    except asyncpg.PostgresError as exc:
        raise AssertionError(f"plan failed: {exc}\n---\n{plan.sql}") from exc
    dump_a, dump_b = await asyncio.gather(
        pg_dump_schema(cluster, url_a), pg_dump_schema(cluster, url_b)
    )
    if normalise_dump(dump_a) != normalise_dump(dump_b):
        # PostgreSQL does not store some definitions as written (a CHECK with IN on varchar
        # is printed in a form that stores differently again), so A can only ever hold B's
        # definitions as B's own dump re-creates them: judge A against that re-creation.
        url_b2 = await make_db(_replayable(dump_b))
        dump_b = await pg_dump_schema(cluster, url_b2)
    after = await fetch_schema(url_a, options=options)
    again = diff_schemas(await align_definitions(after, schema_b, url_b), schema_b)
    return RoundTrip(plan, normalise_dump(dump_a), normalise_dump(dump_b), again)


def _replayable(dump: str) -> str:
    """pg_dump's script without psql meta-commands (``\\restrict``), runnable as one query."""
    return "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))

"""Benchmark: ``align diff`` against ``results dbdiff`` and two ``pg_dump --schema-only``.

For each size (default 200, 1,000 and 5,000 tables) it generates a schema pair: about
ten columns per table, indexes, foreign keys, a few enums and views, with ~5% of the
tables differing in B. Both databases go into a throwaway local cluster. Then, in one
run and side by side, it times (median of ``--repeat`` runs, wall clock, peak RSS of the
process):

- ``align diff --from A --to B`` (this project, as a subprocess, like a user runs it), and
  the same command through its light entry ``python -m bot.commands.diff`` (which skips
  importing the Slack bot; the difference is start-up cost, not diff work)
- ``results dbdiff A B`` from a separate virtualenv at bench/.venv-results, created here
  on first use (``results`` is not a project dependency)
- ``pg_dump --schema-only`` of A and then of B (the floor: reading both catalogs)

Usage:  .venv/bin/python bench/diff_speed.py [--sizes 200,1000,5000] [--repeat 3]
                                               [--no-results] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.pgcluster import PgCluster
from bot.schema.diff import diff_schemas
from bot.schema.introspect import fetch_schema
from bot.snapshots.pgtools import PgConn

HERE = Path(__file__).resolve().parent
RESULTS_VENV = HERE / ".venv-results"
ENUMS = 4
LABELS = ("new", "active", "paused", "closed")


def table_sql(i: int, *, changed: bool) -> list[str]:
    """DDL for table i; ``changed`` applies one of several edits (B side only)."""
    name = f"t{i:05d}"
    variant = (i // 20) % 6 if changed else -1
    cols = [
        "id bigint PRIMARY KEY",
        "parent_id bigint",
        "qty integer NOT NULL DEFAULT 0" if variant != 0 else "qty bigint NOT NULL DEFAULT 0",
        "title varchar(120)",
        "body text",
        "price numeric(12,2)",
        "meta jsonb",
        f"state s{i % ENUMS} NOT NULL DEFAULT 'new'",
        "created_at timestamptz NOT NULL DEFAULT now()",
        "active boolean DEFAULT true" if variant != 1 else "active boolean DEFAULT false",
    ]
    if variant == 2:
        cols.append("added text")
    if variant == 3:
        cols.remove("body text")
    out = [f"CREATE TABLE {name} ({', '.join(cols)});"]
    if variant != 4:
        out.append(f"CREATE INDEX {name}_created ON {name} (created_at);")
    out.append(f"CREATE INDEX {name}_state ON {name} (state) WHERE active;")
    if variant == 5:
        out.append(f"CREATE UNIQUE INDEX {name}_title ON {name} (lower(title));")
    if i > 0 and i % 3 == 0:
        out.append(
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_parent_fk FOREIGN KEY (parent_id) "
            f"REFERENCES t{i - 1:05d}(id) ON DELETE CASCADE;"
        )
    return out


def schema_sql(n: int, *, side_b: bool) -> str:
    out = [
        f"CREATE TYPE s{e} AS ENUM ({', '.join(repr(x) for x in LABELS)});" for e in range(ENUMS)
    ]
    for i in range(n):
        out += table_sql(i, changed=side_b and i % 20 == 0)
    for v in range(0, n, 50):
        out.append(
            f"CREATE VIEW v{v:05d} AS SELECT id, title, state FROM t{v + 1:05d} WHERE active;"
        )
    return "\n".join(out)


@dataclass
class Timing:
    seconds: float
    max_rss_mb: float
    ok: bool
    note: str = ""


def timed(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> Timing:
    """Run argv, return wall time and peak RSS (from wait4) of that process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return Timing(time.perf_counter() - start, usage.ru_maxrss / 1024, False, "timeout")
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = code
    if proc.stderr:
        proc.stderr.close()
    ok = code in (0, 2)
    return Timing(elapsed, usage.ru_maxrss / 1024, ok, "" if ok else err.strip()[-300:])


def median_timing(runs: list[Timing]) -> Timing:
    good = [r for r in runs if r.ok] or runs
    return Timing(
        statistics.median(r.seconds for r in good),
        max(r.max_rss_mb for r in good),
        all(r.ok for r in runs),
        "; ".join(sorted({r.note for r in runs if r.note})),
    )


def ensure_results() -> Path | None:
    """bench/.venv-results/bin/results, installing it on first use; None if it cannot."""
    exe = RESULTS_VENV / "bin" / "results"
    if exe.exists():
        return exe
    print("creating bench/.venv-results and installing results ...", file=sys.stderr)
    try:
        venv.create(RESULTS_VENV, with_pip=True)
        subprocess.run(
            [str(RESULTS_VENV / "bin" / "pip"), "install", "-q", "results"], check=True, timeout=600
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"results could not be installed: {exc}", file=sys.stderr)
        return None
    return exe if exe.exists() else None


async def load(cluster: PgCluster, name: str, sql: str) -> str:
    url = await cluster.create_database(name)
    conn = await asyncpg.connect(url)
    lines = sql.splitlines()
    try:
        # In chunks: one multi-statement call is one transaction, and its locks on thousands
        # of new tables would overflow the lock table.
        for i in range(0, len(lines), 400):
            await conn.execute("\n".join(lines[i : i + 400]))
    finally:
        await conn.close()
    return url


async def in_process(url_a: str, url_b: str) -> tuple[float, float, int]:
    """(introspect both, diff+render, statements) measured inside one process."""
    t0 = time.perf_counter()
    a, b = await asyncio.gather(fetch_schema(url_a), fetch_schema(url_b))
    t1 = time.perf_counter()
    plan = diff_schemas(a, b)
    _ = plan.sql
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, len(plan.statements)


def run_size(cluster: PgCluster, n: int, *, repeat: int, results: Path | None) -> dict:
    print(f"[{n} tables] loading ...", file=sys.stderr)
    url_a = asyncio.run(load(cluster, f"bench_a_{n}", schema_sql(n, side_b=False)))
    url_b = asyncio.run(load(cluster, f"bench_b_{n}", schema_sql(n, side_b=True)))
    # URLs without the password on command lines (`ps` shows them); PGPASSWORD carries it.
    env = {**os.environ, "PGPASSWORD": cluster.password}
    arg_a, arg_b = PgConn(url_a).tool_url, PgConn(url_b).tool_url
    align = [sys.executable, "-m", "bot", "diff", "--from", arg_a, "--to", arg_b]
    engine = [sys.executable, "-m", "bot.commands.diff", "--from", arg_a, "--to", arg_b]
    pg_dump = cluster.tool("pg_dump")
    row: dict = {"tables": n}
    print(f"[{n} tables] timing ...", file=sys.stderr)
    runs: dict[str, list[Timing]] = {
        "align": [],
        "engine": [],
        "results": [],
        "pg_dump": [],
        "pg_dump_one": [],
    }
    for _ in range(repeat):  # interleaved, so drift in machine load hits all alike
        runs["align"].append(timed(align, timeout=600, env=env))
        runs["engine"].append(timed(engine, timeout=600, env=env))
        if results:
            argv = [str(results), "dbdiff", arg_a, arg_b]
            runs["results"].append(timed(argv, timeout=1800, env=env))
        a = timed([pg_dump, "--schema-only", "-d", arg_a], timeout=600, env=env)
        b = timed([pg_dump, "--schema-only", "-d", arg_b], timeout=600, env=env)
        runs["pg_dump_one"].append(b)
        runs["pg_dump"].append(
            Timing(a.seconds + b.seconds, max(a.max_rss_mb, b.max_rss_mb), a.ok and b.ok)
        )
    for key, values in runs.items():
        if values:
            t = median_timing(values)
            row[key] = {
                "seconds": round(t.seconds, 3),
                "max_rss_mb": round(t.max_rss_mb, 1),
                "ok": t.ok,
                "note": t.note,
            }
    fetch_s, diff_s, count = asyncio.run(in_process(url_a, url_b))
    row["align_in_process"] = {
        "introspect_both_s": round(fetch_s, 3),
        "diff_render_s": round(diff_s, 3),
        "statements": count,
    }
    asyncio.run(cluster.drop_database(f"bench_a_{n}"))
    asyncio.run(cluster.drop_database(f"bench_b_{n}"))
    return row


def render(rows: list[dict]) -> str:
    head = (
        "| tables | align diff s | engine entry s | results dbdiff s | 2× pg_dump s "
        "| results ÷ align | align ÷ pg_dumps (engine) | 1× pg_dump s | align ÷ one pg_dump "
        "| align peak MB | align µs/table | in-process: introspect / diff |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        al = r["align"]["seconds"]
        res = r.get("results")
        res_s = (
            (f"{res['seconds']:.2f}" if res["ok"] else f"failed ({res['note'][:40]})")
            if res
            else "not run"
        )
        ratio = f"{res['seconds'] / al:.1f}× faster" if res and res["ok"] else "-"
        pd = r["pg_dump"]["seconds"]
        ip = r["align_in_process"]
        en = r["engine"]["seconds"]
        lines.append(
            f"| {r['tables']} | {al:.2f} | {en:.2f} | {res_s} | {pd:.2f} | {ratio} "
            f"| {al / pd:.2f} ({en / pd:.2f}) "
            f"| {r['pg_dump_one']['seconds']:.2f} | {al / r['pg_dump_one']['seconds']:.2f} "
            f"| {r['align']['max_rss_mb']:.0f} | {al / r['tables'] * 1e6:.0f} "
            f"| {ip['introspect_both_s']:.2f} / {ip['diff_render_s']:.2f} "
            f"({ip['statements']} stmts) |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-results", action="store_true", help="skip results dbdiff")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    results = None if args.no_results else ensure_results()
    cluster = asyncio.run(PgCluster.start_ephemeral())
    rows = []
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            rows.append(run_size(cluster, n, repeat=args.repeat, results=results))
            print(render(rows[-1:]), file=sys.stderr)
    finally:
        asyncio.run(cluster.stop(delete=True))
    print(render(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: how fast the bot acks Slack while the analyzer chews a 20,000-statement script.

Starts the real app (``build_app``, HTTP mode on a loopback port) against the Slack Web API
emulator (tests/slackkit) with real PostgreSQL databases in a throwaway cluster, starts a run
through ``/align start`` and waits for its review card. Then, while ``analyze_in_worker`` runs
on a 20,000-statement script in a loop (what the diff step does for a big review), it fires
``--requests`` signed requests ``--concurrency`` at a time and measures each one's time to the
HTTP response (the ack):

- slash commands: ``/align status``, ``/align help``, ``/align history``
- button clicks: Approve by a non-reviewer (refused after the ack), Reject by a reviewer (opens
  a modal with ``views.open`` *inside* the ack window), an unknown button

Prints p50 / p99 / max overall and per kind. Target: p99 < 250 ms (Slack allows 3,000 ms).

Usage:  .venv/bin/python bench/ack_latency.py [--requests 200] [--concurrency 20]
                                              [--statements 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bot.app import build_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.pgcluster import PgCluster  # noqa: E402
from bot.review.analyze import analyze_in_worker  # noqa: E402
from bot.slack import ids  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.workflow.run import RunState  # noqa: E402
from tests.slackkit import SlackDriver, SlackEmulator  # noqa: E402

TOKEN, SECRET = "xoxb-bench", "bench-signing-secret"
PROD = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);"
DEV = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, ok boolean);"
CONFIG = """
[bot]
channel = "C0OPS0001"
[access]
reviewers = ["U0BOB0002"]
[targets.prod]
database_url = "${PROD_DATABASE_URL}"
desired_url = "${DEV_DATABASE_URL}"
snapshot = "none"
rehearsal = "off"
"""


def _script(statements: int) -> str:
    spec = importlib.util.spec_from_file_location("review_speed", HERE / "review_speed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_script(statements)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def _fire(driver: SlackDriver, i: int, plan_id: str) -> tuple[str, float, int]:
    kind = ["status", "help", "history", "approve", "reject", "unknown"][i % 6]
    started = time.perf_counter()
    if kind in ("status", "help", "history"):
        resp = await driver.command(kind, user="U0ALICE01")
    elif kind == "approve":
        resp = await driver.block_action(ids.ACTION_APPROVE, value=plan_id, user="U0MALLORY9")
    elif kind == "reject":
        resp = await driver.block_action(ids.ACTION_REJECT, value=plan_id, user="U0BOB0002")
    else:
        resp = await driver.block_action("bench.unknown", value=plan_id, user="U0BOB0002")
    return kind, (time.perf_counter() - started) * 1000, resp.status


def _bot_process(
    environ: dict[str, str],
    config: str,
    state: str,
    statements: int,
    port_q: object,
    analyse_ev: object,
    stop_ev: object,
) -> None:
    """The bot, alone in its own process (as in production): the app plus, once told, the
    analyzer looping on the big script in a worker thread of the same process."""
    os.environ.update(environ)
    if os.environ.get("BENCH_SWITCH_INTERVAL"):  # experiment: GIL hand-over interval (s)
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))

    async def run() -> None:
        settings = load_settings(config, environ)
        store = await Store.open(state)
        bundle = build_app(settings, store)
        runner = web.AppRunner(bundle.web, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_q.put(runner.addresses[0][1])  # type: ignore[attr-defined]
        sql = _script(statements)
        analyses = 0
        while not analyse_ev.is_set():  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
        while not stop_ev.is_set():  # type: ignore[attr-defined]
            await analyze_in_worker(sql)
            analyses += 1
        port_q.put(analyses)  # type: ignore[attr-defined]
        await runner.cleanup()
        await store.close()

    asyncio.run(run())


async def bench(requests: int, concurrency: int, statements: int) -> None:
    import multiprocessing as mp

    import asyncpg

    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(var, None)
    cluster = await PgCluster.start_ephemeral()
    try:
        prod = await cluster.create_database("bench_prod")
        dev = await cluster.create_database("bench_dev")
        state = await cluster.create_database("bench_state")
        for url, ddl in ((prod, PROD), (dev, DEV)):
            conn = await asyncpg.connect(url)
            await conn.execute(ddl)
            await conn.close()
        async with SlackEmulator(bot_token=TOKEN) as slack:
            with tempfile.TemporaryDirectory() as tmp:
                config = Path(tmp) / "align.toml"
                config.write_text(CONFIG)
                environ = {
                    "SLACK_BOT_TOKEN": TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "PROD_DATABASE_URL": prod,
                    "DEV_DATABASE_URL": dev,
                    "ALIGN_DATA_DIR": str(Path(tmp) / "data"),
                }
                ctx = mp.get_context("spawn")
                port_q, analyse_ev, stop_ev = ctx.Queue(), ctx.Event(), ctx.Event()
                child = ctx.Process(
                    target=_bot_process,
                    args=(environ, str(config), state, statements, port_q, analyse_ev, stop_ev),
                )
                child.start()
                try:
                    port = await asyncio.to_thread(port_q.get, True, 120)
                    url = f"http://127.0.0.1:{port}/slack/events"
                    driver = SlackDriver(url, signing_secret=SECRET, emulator=slack)
                    store = await Store.open(state, migrate=False)
                    try:
                        await _measure(
                            driver,
                            store,
                            requests,
                            concurrency,
                            analyse_ev,
                            stop_ev,
                            port_q,
                            statements,
                        )
                    finally:
                        await store.close()
                finally:
                    stop_ev.set()
                    analyse_ev.set()
                    await asyncio.to_thread(child.join, 120)
    finally:
        await cluster.stop(delete=True)


async def _measure(
    driver: SlackDriver,
    store: Store,
    requests: int,
    concurrency: int,
    analyse_ev: object,
    stop_ev: object,
    port_q: object,
    statements: int,
) -> None:
    await driver.command("start prod", user="U0ALICE01")
    deadline = time.monotonic() + 60
    while True:
        runs = await store.list_runs()
        if runs and runs[0].state is RunState.AWAITING_REVIEW:
            plan_id = runs[0].plan_id or runs[0].id  # review buttons carry the plan id
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"the run did not reach review: {runs}")
        await asyncio.sleep(0.1)
    for i in range(12):  # warm-up (bolt's auth.test, first imports, pools)
        await _fire(driver, i, plan_id)
    analyse_ev.set()  # type: ignore[attr-defined]
    await asyncio.sleep(1.0)  # let the analysis get going
    results: list[tuple[str, float, int]] = []

    started = time.perf_counter()
    for batch in range(0, requests, concurrency):
        results += await asyncio.gather(
            *(_fire(driver, i, plan_id) for i in range(batch, min(requests, batch + concurrency)))
        )
    wall = time.perf_counter() - started
    stop_ev.set()  # type: ignore[attr-defined]
    analyses = await asyncio.to_thread(port_q.get, True, 120)  # type: ignore[attr-defined]
    times = [t for _, t, _ in results]
    bad = [(k, s) for k, _, s in results if s != 200]
    print(
        f"{len(results)} requests, {concurrency} at a time, in {wall:.1f} s while the bot "
        f"analysed a {statements:,}-statement script ({analyses} analyses finished)"
    )
    print(
        f"ack latency ms: p50 {statistics.median(times):.1f}  p99 {_pct(times, 99):.1f}  "
        f"max {max(times):.1f}   non-200: {len(bad)}"
    )
    for kind in sorted({k for k, _, _ in results}):
        ks = [t for k, t, _ in results if k == kind]
        print(
            f"  {kind:8s} n={len(ks):3d}  p50 {statistics.median(ks):6.1f}  "
            f"p99 {_pct(ks, 99):6.1f}  max {max(ks):6.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--statements", type=int, default=20000)
    args = parser.parse_args()
    asyncio.run(bench(args.requests, args.concurrency, args.statements))


if __name__ == "__main__":
    main()

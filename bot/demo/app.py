"""The example application the demo aligns production for (``python -m bot.demo.app``).

A tiny HTTP service on DATABASE_URL: ``/healthz`` answers when the database does, ``/invoices``
reads the columns the new schema adds. Every request is logged to a file; database errors with
their SQLSTATE, which is what the report's "no constraint violations in logs" check scans.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiohttp import web

POOL: web.AppKey[asyncpg.Pool] = web.AppKey("pool", asyncpg.Pool)
LOG: web.AppKey[Path] = web.AppKey("log", Path)


def _log(app: web.Application, line: str) -> None:
    with app[LOG].open("a") as f:
        f.write(f"{datetime.now(UTC).isoformat()} {line}\n")


async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[POOL].fetchval("SELECT 1")
    except (OSError, asyncpg.PostgresError) as exc:
        _log(request.app, f"healthz failed: {exc}")
        return web.json_response({"ok": False}, status=503)
    return web.json_response({"ok": True})


async def invoices(request: web.Request) -> web.Response:
    try:
        rows = await request.app[POOL].fetch(
            "SELECT id, amount::text AS amount, status::text AS status, due_at::text AS due_at"
            " FROM invoices ORDER BY id DESC LIMIT 5"
        )
    except asyncpg.PostgresError as exc:
        _log(request.app, f"GET /invoices ERROR SQLSTATE {exc.sqlstate}: {exc}")
        return web.json_response({"error": "database error"}, status=500)
    _log(request.app, f"GET /invoices 200 rows={len(rows)}")
    return web.json_response({"invoices": [dict(r) for r in rows]}, dumps=json.dumps)


async def serve(port: int, log: Path) -> None:
    app = web.Application()
    app[LOG] = log
    app[POOL] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=4)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/invoices", invoices)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    _log(app, f"application started on port {port}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await app[POOL].close()


def main() -> None:
    parser = argparse.ArgumentParser(description="align-bot demo application")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.log))


if __name__ == "__main__":
    main()

"""Post-alignment validation checks against real services: each PASS or FAIL with its reason."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from aiohttp import web

from bot.config import HealthCheck, Secret, Target
from bot.secrets import Masker
from bot.workflow.health import run_health_checks


def target(url: str, *checks: HealthCheck) -> Target:
    return Target(
        name="prod",
        database_url=Secret(url),
        mode="builtin",
        snapshot="none",
        desired_url=Secret(url),
        health_checks=checks,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_health_checks_pass_on_a_healthy_application(make_db, tmp_path: Path) -> None:
    url = await make_db("CREATE TABLE t (id int PRIMARY KEY)")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    log = tmp_path / "app.log"
    log.write_text("GET /invoices 200\nERROR SQLSTATE 42703: column does not exist\n")
    try:
        results = await run_health_checks(
            target(
                url,
                HealthCheck(name="app", kind="http", url=f"http://127.0.0.1:{port}/healthz"),
                HealthCheck(name="conns", kind="db"),
                HealthCheck(name="catalog", kind="catalog"),
                HealthCheck(name="log", kind="log", command=("cat", str(log))),
                HealthCheck(
                    name="smoke", kind="command", command=(sys.executable, "-c", "print('ok')")
                ),
            ),
            masker=Masker(),
        )
    finally:
        await runner.cleanup()
    assert {r["name"]: r["status"] for r in results} == {
        "app": "PASS",
        "conns": "PASS",
        "catalog": "PASS",
        "log": "PASS",
        "smoke": "PASS",
    }


async def test_health_checks_fail_with_the_reason(make_db, tmp_path: Path) -> None:
    url = await make_db(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p int);"
        "ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p) REFERENCES p NOT VALID;"
    )
    log = tmp_path / "app.log"
    log.write_text('ERROR: duplicate key value violates unique constraint "users_email_key"\n')
    results = await run_health_checks(
        target(
            url,
            HealthCheck(
                name="app",
                kind="http",
                url=f"http://127.0.0.1:{closed_port()}/healthz",
                timeout_s=2,
            ),
            HealthCheck(name="catalog", kind="catalog"),
            HealthCheck(name="log", kind="log", command=("cat", str(log))),
            HealthCheck(name="smoke", kind="command", command=("sh", "-c", "echo broken; exit 3")),
        ),
        masker=Masker(),
    )
    by_name = {r["name"]: r for r in results}
    assert all(r["status"] == "FAIL" for r in results)
    assert "failed" in by_name["app"]["detail"]
    assert "c_p_fk on c is NOT VALID" in by_name["catalog"]["detail"]
    assert "1 constraint violation line" in by_name["log"]["detail"]
    assert "exit 3" in by_name["smoke"]["detail"] and "broken" in by_name["smoke"]["detail"]


async def test_health_db_check_fails_cleanly_when_production_is_down() -> None:
    down = f"postgresql://app:s3cret@127.0.0.1:{closed_port()}/prod"
    results = await run_health_checks(
        target(down, HealthCheck(name="conns", kind="db")), masker=Masker()
    )
    assert results[0]["status"] == "FAIL" and "s3cret" not in results[0]["detail"]

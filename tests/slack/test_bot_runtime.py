"""TaskSupervisor, the metrics registry and logging setup."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from bot.log import log_context, setup_logging
from bot.metrics import Registry
from bot.secrets import Masker
from bot.tasks import SupervisorClosed, TaskSupervisor


async def test_task_supervisor_cancels_and_awaits_running_tasks_on_close() -> None:
    failures: list[str] = []
    supervisor = TaskSupervisor(on_failure=lambda name, exc: failures.append(name))
    cleaned = asyncio.Event()

    async def long_job() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    async def broken_job() -> None:
        raise RuntimeError("boom")

    supervisor.spawn(long_job(), name="long")
    broken = supervisor.spawn(broken_job(), name="broken")
    await asyncio.wait([broken])
    assert failures == ["broken"]
    assert supervisor.running == 1
    await supervisor.close(grace=0.05)
    assert cleaned.is_set() and supervisor.running == 0
    coro = long_job()
    with pytest.raises(SupervisorClosed):
        supervisor.spawn(coro, name="late")


async def test_task_supervisor_lets_finishing_work_complete_within_grace() -> None:
    supervisor = TaskSupervisor()
    done: list[int] = []

    async def quick() -> None:
        await asyncio.sleep(0)
        done.append(1)

    supervisor.spawn(quick(), name="quick")
    await supervisor.close(grace=5)
    assert done == [1]


def test_registry_renders_prometheus_text() -> None:
    registry = Registry()
    hits = registry.counter("hits_total", "Hits.", ("path",))
    hits.inc(path='/a"b')
    hits.inc(2, path='/a"b')
    latency = registry.histogram("lat_seconds", "Latency.", buckets=(0.1, 1.0))
    latency.observe(0.1)
    latency.observe(3)
    text = registry.render()
    assert 'hits_total{path="/a\\"b"} 3' in text
    assert 'lat_seconds_bucket{le="0.1"} 1' in text
    assert 'lat_seconds_bucket{le="1"} 1' in text
    assert 'lat_seconds_bucket{le="+Inf"} 2' in text
    assert "lat_seconds_count 2" in text and "lat_seconds_sum 3.1" in text
    assert registry.counter("hits_total", "Hits.", ("path",)) is hits
    with pytest.raises(ValueError):
        hits.inc(kind="x")


def test_logging_is_json_masked_and_carries_run_context() -> None:
    stream = io.StringIO()
    handler = setup_logging(level="INFO", fmt="json", masker=Masker(["s3cr3t-value"]),
                            stream=stream)  # fmt: skip
    try:
        log = logging.getLogger("bot.test")
        with log_context(run_id="20261124-abcdef", target="prod"):
            log.info("token %s and url %s", "xoxb-123-456", "postgresql://u:pw@h/db",
                     extra={"note": "s3cr3t-value"})  # fmt: skip
        log.info("outside")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["run_id"] == "20261124-abcdef" and first["target"] == "prod"
    assert first["msg"] == "token *** and url postgresql://u:***@h/db"
    assert first["note"] == "***"
    assert "run_id" not in second

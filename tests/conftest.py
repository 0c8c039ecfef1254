"""Shared fixtures: a real PostgreSQL cluster per test session and fresh databases per test.

The cluster is started by the project's own ``bot.pgcluster`` (never a mock). Set
``ALIGN_TEST_PG_URL`` to use an existing server instead (its role must be able to CREATE DATABASE).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import asyncpg
import pytest

from bot.pgcluster import PgCluster

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's ALIGN_*/SLACK_* settings, nor a proxy (slack_sdk would
    send loopback calls to it)."""
    for key in list(os.environ):
        if key.startswith(("ALIGN_", "SLACK_")) or key in _PROXY_VARS:
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = asyncio.run(PgCluster.start_ephemeral())
    try:
        yield cluster
    finally:
        asyncio.run(cluster.stop(delete=True))


_db_counter = itertools.count()


@pytest.fixture
async def make_db(pg_cluster: PgCluster) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """``url = await make_db(sql=None)``: a fresh database (dropped after the test)."""
    created: list[str] = []
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")

    async def make(sql: str | None = None) -> str:
        name = f"t_{worker}_{os.getpid()}_{next(_db_counter)}"
        url = await pg_cluster.create_database(name)
        created.append(name)
        if sql:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()
        return url

    yield make
    for name in created:
        await pg_cluster.drop_database(name)

"""Fixtures for snapshot provider tests: a Neon API stand-in and helpers to build targets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from neon_standin import NeonStandin

from bot.config import NeonSettings, Secret, Target
from bot.snapshots.neon import NeonProvider
from bot.snapshots.neon_client import RetryPolicy

FAST_RETRY = RetryPolicy(attempts=4, backoff_s=0.01, max_backoff_s=0.05, request_timeout_s=2.0)


@pytest.fixture
async def neon() -> AsyncIterator[NeonStandin]:
    standin = await NeonStandin().start()
    try:
        yield standin
    finally:
        await standin.stop()


def neon_settings(standin: NeonStandin, **overrides: object) -> NeonSettings:
    values: dict[str, object] = {
        "api_key": Secret(standin.api_key),
        "project_id": standin.project_id,
        "branch_id": standin.production_branch,
        "api_url": standin.api_url,
        "method": "snapshot",
        "poll_interval_s": 0.01,
        "operation_timeout_s": 5.0,
    }
    values.update(overrides)
    return NeonSettings(**values)  # type: ignore[arg-type]


def neon_provider(
    standin: NeonStandin, *, retry: RetryPolicy = FAST_RETRY, **overrides: object
) -> NeonProvider:
    return NeonProvider(
        target_name="prod", settings=neon_settings(standin, **overrides), retry=retry
    )


def pg_target(url: str, *, snapshot: str = "pg_dump", **extra: object) -> Target:
    return Target(
        name="prod",
        database_url=Secret(url),
        mode="builtin",
        snapshot=snapshot,
        desired_url=Secret(url),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def make_neon_provider(neon: NeonStandin):
    """``make_neon_provider(method="branch", operation_timeout_s=0.2, ...)``."""

    def make(*, retry: RetryPolicy = FAST_RETRY, **overrides: object) -> NeonProvider:
        return neon_provider(neon, retry=retry, **overrides)

    return make


@pytest.fixture
def make_target():
    return pg_target

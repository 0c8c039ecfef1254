"""Fixtures for report tests: a real Store on a fresh database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store import Store


@pytest.fixture
async def state_url(make_db) -> str:
    return await make_db()


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(state_url, max_size=2)
    try:
        yield opened
    finally:
        await opened.close()

"""Fixtures for workflow tests: a production/dev database pair, a store and a Runner."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.store import Run, Store
from bot.tasks import TaskSupervisor
from bot.workflow.runner import Runner
from tests.builders import builtin_settings

PROD = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE legacy (id int PRIMARY KEY, note text);
INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 50) g;
INSERT INTO legacy VALUES (1, 'old');
"""
DEV = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL,
                    verified boolean NOT NULL DEFAULT false);
CREATE INDEX users_email_idx ON users (email);
"""


@dataclasses.dataclass
class Env:
    settings: Settings
    store: Store
    runner: Runner
    prod: str
    dev: str
    clock: FixedClock
    events: list[tuple[str, str]]

    def with_target(self, **changes: Any) -> None:
        """Replace target fields (e.g. rehearsal="off") for the rest of the test."""
        target = dataclasses.replace(self.settings.targets["prod"], **changes)
        self.settings = dataclasses.replace(self.settings, targets={"prod": target})
        self.runner.settings = self.settings

    async def prod_execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.prod)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def until_review(self) -> Run:
        run = await self.runner.start(target="prod", requested_by="U0ALICE01", via="cli")
        return await self.runner.wait(run.id)


@pytest.fixture
async def wf(make_db, tmp_path: Path) -> AsyncIterator[Env]:
    prod, dev, state = await make_db(PROD), await make_db(DEV), await make_db()
    settings = builtin_settings(tmp_path / "data", prod, dev, state)
    store = await Store.open(state)
    supervisor = TaskSupervisor()
    clock = FixedClock()
    events: list[tuple[str, str]] = []

    async def listen(run: Run, event: str, detail: dict[str, Any]) -> None:
        events.append((run.id, event))

    runner = Runner(
        settings=settings, store=store, supervisor=supervisor, clock=clock, listeners=[listen]
    )
    yield Env(settings, store, runner, prod, dev, clock, events)
    await supervisor.close()
    await store.close()

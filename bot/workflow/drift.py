"""Drift check: production against the desired schema with the built-in differ, nothing else.

Used by ``/align verify`` and the scheduled drift watch. No snapshot, no apply, no run record:
it only reads both catalogs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.config import Target
from bot.errors import PlanError
from bot.schema.diff import diff_schemas
from bot.schema.introspect import IntrospectOptions, fetch_schema
from bot.schema.restate import align_definitions
from bot.workflow.desired import schema_file_database


@dataclass(frozen=True)
class Drift:
    target: str
    statements: tuple[str, ...]  # SQL that would bring production in line
    objects: tuple[str, ...]  # "operation object" per statement, for summaries
    destructive: int
    warnings: tuple[str, ...]
    # differences the differ cannot plan (``Plan.unplanned``): never in sync while any remain
    unplanned: tuple[str, ...] = ()

    @property
    def in_sync(self) -> bool:
        return not self.statements and not self.unplanned

    @property
    def signature(self) -> str:
        """Identifies *this* drift: the same differences give the same signature, so a watcher
        can alert once per distinct drift."""
        text = "\n".join((*self.statements, *self.unplanned))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.asynccontextmanager
async def _desired_url(target: Target) -> AsyncIterator[str]:
    if target.desired_url is not None:
        yield target.desired_url.value
        return
    if target.desired_schema_file is None:
        raise PlanError(
            f"target '{target.name}' has no desired_url or desired_schema_file to compare with"
        )
    async with schema_file_database(target.desired_schema_file) as url:
        yield url


async def check_drift(target: Target) -> Drift:
    options = IntrospectOptions(excluded_tables=target.exclude_tables)
    prod = await fetch_schema(target.database_url.value, options=options)
    async with _desired_url(target) as url:
        desired = await fetch_schema(url, options=options)
        prod = await align_definitions(prod, desired, url)
    plan = await asyncio.to_thread(diff_schemas, prod, desired)  # CPU work: off the event loop
    return Drift(
        target=target.name,
        statements=tuple(s.sql for s in plan.statements),
        objects=tuple(f"{s.operation} {s.object}" for s in plan.statements),
        destructive=sum(s.destructive for s in plan.statements),
        warnings=tuple(plan.warnings),
        unplanned=tuple(plan.unplanned),
    )

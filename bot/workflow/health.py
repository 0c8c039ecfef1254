"""Post-alignment validation: the configured checks, each PASS or FAIL with a detail line.

kinds: ``http`` (application answers 2xx), ``db`` (production accepts connections and
pg_stat_activity looks sane), ``catalog`` (no constraint left NOT VALID, no invalid index),
``log`` (a command's output has no constraint violation — SQLSTATE class 23), ``command``
(a smoke command exits 0).

``log`` and ``command`` checks run configured commands, so they get what every runbook command
gets (DESIGN invariant 12): the minimal environment of command_env.py with ``ALIGN_STEP=health``,
and containment, so nothing they start outlives the check.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from bot.config import HealthCheck, Target
from bot.errors import CatalogError
from bot.schema.introspect import connect
from bot.secrets import Masker
from bot.shell import CommandResult, run_command, step_containment
from bot.workflow.command_env import runbook_env

_CONSTRAINT_VIOLATION = re.compile(
    r"SQLSTATE[ =:\"']*23\d{3}|violates (?:not-null|foreign key|unique|check|exclusion) constraint"
    r"|duplicate key value|\b23(?:000|001|502|503|505|514|P01)\b",
    re.I,
)


Probe = tuple[bool, str]  # (passed, detail)


def _result(check: HealthCheck, ok: bool, detail: str) -> dict[str, Any]:
    return {
        "name": check.name,
        "kind": check.kind,
        "status": "PASS" if ok else "FAIL",
        "detail": detail,
    }


@dataclass(frozen=True)
class _Checks:
    """What every check may use."""

    target: Target
    masker: Masker
    base_env: Mapping[str, str]
    run_id: str


async def run_health_checks(
    target: Target,
    *,
    masker: Masker,
    run_id: str = "",
    base_env: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every configured check, in order. ``run_id`` and ``base_env`` (default: the bot's
    environment, filtered by command_env.py) only matter to the command-based kinds."""
    cx = _Checks(target, masker, os.environ if base_env is None else base_env, run_id)
    results = []
    for check in target.health_checks:
        runner = _RUNNERS[check.kind]
        try:
            results.append(await runner(check, cx))
        except Exception as exc:  # a check that crashes is a failed check, never a crashed run
            results.append(_result(check, False, masker.mask(f"check could not run: {exc}")))
    return results


async def _http(check: HealthCheck, cx: _Checks) -> dict[str, Any]:
    masker = cx.masker
    assert check.url is not None
    timeout = aiohttp.ClientTimeout(total=check.timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(check.url) as resp,
        ):
            low, high = check.expect_status
            ok = low <= resp.status <= high
            return _result(check, ok, f"GET {masker.mask(check.url)} → HTTP {resp.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return _result(check, False, f"GET {masker.mask(check.url)} failed: {exc or 'timeout'}")


async def _on_production(
    check: HealthCheck, target: Target, probe: Callable[[asyncpg.Connection], Awaitable[Probe]]
) -> dict[str, Any]:
    """Run ``probe`` on a fresh connection to production; a failure to connect or query is a
    failed check, reported with the masked reason."""
    try:
        conn = await connect(target.database_url.value, timeout=check.timeout_s)
    except CatalogError as exc:
        return _result(check, False, exc.message)
    try:
        ok, detail = await probe(conn)
    except asyncpg.PostgresError as exc:
        return _result(check, False, f"query failed: {exc}")
    finally:
        await conn.close()
    return _result(check, ok, detail)


async def _connections(conn: asyncpg.Connection) -> Probe:
    row = await conn.fetchrow(
        """SELECT count(*) AS total,
                  count(*) FILTER (WHERE state = 'idle in transaction'
                                   AND now() - state_change > interval '5 minutes') AS stuck,
                  count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting,
                  current_setting('max_connections')::int AS max_conn
           FROM pg_stat_activity WHERE datname = current_database()"""
    )
    ok = row["stuck"] == 0 and row["waiting"] == 0 and row["total"] < 0.9 * row["max_conn"]
    return ok, (
        f"{row['total']} connection(s) of {row['max_conn']}, {row['waiting']} waiting on locks, "
        f"{row['stuck']} idle in transaction > 5 min"
    )


async def _invalid_objects(conn: asyncpg.Connection) -> Probe:
    not_valid = await conn.fetch(
        """SELECT conrelid::regclass::text AS rel, conname FROM pg_constraint
           WHERE NOT convalidated AND connamespace <> 'pg_catalog'::regnamespace"""
    )
    invalid = await conn.fetch(
        "SELECT indexrelid::regclass::text AS idx FROM pg_index WHERE NOT indisvalid"
    )
    problems = [f"constraint {r['conname']} on {r['rel']} is NOT VALID" for r in not_valid]
    problems += [f"index {r['idx']} is invalid" for r in invalid]
    return not problems, "; ".join(problems) or "all constraints valid, all indexes valid"


async def _db(check: HealthCheck, cx: _Checks) -> dict[str, Any]:
    return await _on_production(check, cx.target, _connections)


async def _catalog(check: HealthCheck, cx: _Checks) -> dict[str, Any]:
    return await _on_production(check, cx.target, _invalid_objects)


async def _run_check_command(check: HealthCheck, cx: _Checks) -> CommandResult:
    """A check's command, run as every runbook command is: minimal environment, contained."""
    assert check.command is not None
    return await run_command(
        list(check.command),
        timeout=check.timeout_s,
        masker=cx.masker,
        env=runbook_env(cx.target, base=cx.base_env, step="health", run_id=cx.run_id),
        contain=step_containment(),
    )


async def _log(check: HealthCheck, cx: _Checks) -> dict[str, Any]:
    result = await _run_check_command(check, cx)
    if not result.ok:
        return _result(
            check, False, f"log command exited {result.exit_code}: {result.output_tail[-300:]}"
        )
    hits = [line for line in result.output_tail.splitlines() if _CONSTRAINT_VIOLATION.search(line)]
    if hits:
        return _result(
            check, False, f"{len(hits)} constraint violation line(s), e.g.: {hits[0][:300]}"
        )
    return _result(check, True, "no constraint violations in the log output")


async def _command(check: HealthCheck, cx: _Checks) -> dict[str, Any]:
    assert check.command is not None
    result = await _run_check_command(check, cx)
    tail = result.output_tail.strip().splitlines()[-1:] or [""]
    state = "timed out" if result.timed_out else f"exit {result.exit_code}"
    return _result(
        check, result.ok, f"`{' '.join(check.command)}` → {state} {tail[0][:200]}".strip()
    )


_RUNNERS = {"http": _http, "db": _db, "catalog": _catalog, "log": _log, "command": _command}

"""The runbook's steps, one coroutine each. Each records what it did in ``run.data`` (see the
report) and raises a typed AlignError when the run cannot go on. The runner decides order,
state transitions and timeouts; the steps own no state machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.errors import AlignError, CommandError, DevSyncError, PlanError, SnapshotError
from bot.files import copy_private, private_dir, write_private
from bot.review.analyze import analyze_in_worker
from bot.review.hazards import TxnControl
from bot.review.impact import estimate_impact
from bot.review.model import Review, ReviewedStatement, destructive_categories
from bot.review.source import SqlSource, decode_sql
from bot.schema.diff import diff_schemas
from bot.schema.fingerprint import schema_fingerprint
from bot.schema.introspect import IntrospectOptions, connect, fetch_schema
from bot.schema.restate import align_definitions
from bot.shell import CommandResult, run_command, step_containment
from bot.snapshots import SnapshotInfo, provider_for
from bot.store import Run
from bot.workflow import locks
from bot.workflow.context import StepContext
from bot.workflow.desired import SCHEMA_COPY, desired_database
from bot.workflow.execute import SqlStatement, rehearse_statements
from bot.workflow.gitcheck import read_git_state, schema_commits

MAX_CHANGES_RECORDED = 2000


def _options(ctx: StepContext) -> IntrospectOptions:
    return IntrospectOptions(excluded_tables=ctx.target.exclude_tables)


def _argv_text(argv: tuple[str, ...] | None) -> str | None:
    return shlex.join(argv) if argv else None


async def run_configured(
    ctx: StepContext,
    argv: tuple[str, ...],
    *,
    step: str,
    run_id: str,
    extra_env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run one of the target's runbook commands in its checkout: with the minimal environment
    of command_env.py (never the bot's keys) and contained, so that nothing it starts outlives
    the step (DESIGN invariant 12)."""
    commands = ctx.target.commands
    assert commands is not None
    return await run_command(
        list(argv),
        cwd=commands.checkout,
        env=ctx.command_env(step=step, run_id=run_id, extra=extra_env),
        masker=ctx.masker,
        timeout=ctx.settings.timeouts.command_s,
        contain=step_containment(),
    )


# ----------------------------------------------------------------------------- 1. preconditions
async def take_snapshot(ctx: StepContext, run: Run, *, label: str | None = None) -> dict[str, Any]:
    """The snapshot, with production's schema fingerprint read just before it was taken: a plan
    is only approved on a snapshot whose fingerprint is the plan's own starting point."""
    fingerprint = await production_fingerprint(ctx)
    provider = provider_for(
        ctx.target, data_dir=ctx.settings.data_dir, masker=ctx.masker, clock=ctx.clock.now
    )
    info = await provider.create(run_id=label or run.id)  # a later snapshot gets its own name
    return {**info.to_json(), "prod_fingerprint": fingerprint}


async def check_git(ctx: StepContext) -> dict[str, Any]:
    commands = ctx.target.commands
    assert commands is not None
    state = await read_git_state(commands.checkout)
    facts = {
        "expected_branch": commands.branch,
        "branch": state.branch,
        "clean": state.clean,
        "commit": state.commit,
        "dirty_files": list(state.dirty_files[:20]),
    }
    if state.branch != commands.branch:
        raise CommandError(
            f"the checkout {commands.checkout} is on branch '{state.branch}', not "
            f"'{commands.branch}': switch branches, then start again",
            data=facts,
        )
    if not state.clean:
        shown = ", ".join(state.dirty_files[:5])
        raise CommandError(
            f"the working tree of {commands.checkout} is not clean ({len(state.dirty_files)} "
            f"changed: {shown}): commit or stash, then start again",
            data=facts,
        )
    return facts


# ----------------------------------------------------------------------------- 2. dev sync
async def dev_sync(ctx: StepContext) -> dict[str, Any]:
    if ctx.target.mode == "commands":
        commands = ctx.target.commands
        assert commands is not None
        data: dict[str, Any] = {
            "command": _argv_text(commands.dev_sync),
            "synced": False,
            "generate_command": _argv_text(commands.generate_client),
            "client_generated": None,
        }
        result = await run_configured(ctx, commands.dev_sync, step="dev_sync", run_id=ctx.run_id)
        data["output_tail"] = result.output_tail[-2000:]
        if not result.ok:
            how = "timed out" if result.timed_out else f"exit {result.exit_code}"
            raise DevSyncError(
                f"`{data['command']}` failed ({how})",
                exit_code=result.exit_code,
                output_tail=result.output_tail,
                data=data,
            )
        data["synced"] = True
        return data
    if ctx.target.desired_schema_file is not None:
        source = ctx.target.desired_schema_file
        if not source.is_file():
            raise DevSyncError(f"the desired schema file {source} does not exist")
        await asyncio.to_thread(private_dir, ctx.run_dir)
        await asyncio.to_thread(copy_private, source, ctx.run_dir / SCHEMA_COPY)
        async with desired_database(ctx.target, ctx.run_dir) as url:  # proves it loads
            assert url is not None
        return {
            "command": f"load {source.name} into a scratch database",
            "synced": True,
            "schema_file_loaded": str(source),
            "client_generated": None,
            "generate_command": None,
        }
    return {
        "command": "none: the desired schema is the dev database itself",
        "synced": True,
        "client_generated": None,
        "generate_command": None,
    }


async def generate_client(ctx: StepContext) -> dict[str, Any]:
    """The separately configured client generation (the report's second dev-sync checkbox)."""
    commands = ctx.target.commands
    assert commands is not None and commands.generate_client
    command = _argv_text(commands.generate_client)
    result = await run_configured(
        ctx, commands.generate_client, step="generate_client", run_id=ctx.run_id
    )
    if not result.ok:
        how = "timed out" if result.timed_out else f"exit {result.exit_code}"
        raise DevSyncError(
            f"`{command}` failed ({how})",
            exit_code=result.exit_code,
            output_tail=result.output_tail,
            data={"generate_command": command, "client_generated": False},
        )
    return {
        "generate_command": command,
        "client_generated": True,
        "output_tail": result.output_tail[-2000:],
    }


# ----------------------------------------------------------------------------- 3. diff
@dataclass
class PlanResult:
    sql_bytes: bytes  # exactly what the diff produced: what is stored, reviewed and applied
    sql: str  # those bytes as SQL text (for display and the analyzer)
    sha256: str  # over ``sql_bytes``
    fingerprint: str
    review: Review
    data: dict[str, Any]
    git_commit: str | None = None


async def production_fingerprint(ctx: StepContext) -> str:
    schema = await fetch_schema(ctx.target.database_url.value, options=_options(ctx))
    return schema_fingerprint(schema)


async def make_plan(ctx: StepContext) -> PlanResult:
    prod = await fetch_schema(ctx.target.database_url.value, options=_options(ctx))
    fingerprint = schema_fingerprint(prod)
    warnings: list[str] = []
    notes: list[dict[str, Any]] = []  # the differ's structured notes (fill values, rebuilds...)
    if ctx.target.mode == "commands":
        commands = ctx.target.commands
        assert commands is not None
        sql_path = ctx.sql_path
        sql_path.unlink(missing_ok=True)  # a stale file from an earlier run must not be reviewed
        result = await run_configured(ctx, commands.diff, step="diff", run_id=ctx.run_id)
        if not result.ok:
            raise PlanError(
                f"`{_argv_text(commands.diff)}` failed (exit {result.exit_code}):\n"
                f"{result.output_tail[-1500:]}"
            )
        if not sql_path.is_file():
            raise PlanError(f"`{_argv_text(commands.diff)}` did not write {sql_path}")
        sql_bytes = sql_path.read_bytes()
        command = _argv_text(commands.diff)
        git_commit = (await read_git_state(commands.checkout)).commit
    else:
        async with desired_database(ctx.target, ctx.run_dir) as url:
            if url is None:
                raise PlanError("the target has no desired schema (desired_url or schema file)")
            desired = await fetch_schema(url, options=_options(ctx))
            aligned = await align_definitions(prod, desired, url)
        plan = await asyncio.to_thread(diff_schemas, aligned, desired)
        warnings = list(plan.warnings)
        notes = [{"statement": i, **n.to_dict()} for i, n in plan.notes]
        sql_bytes = plan.sql.encode("utf-8")
        await asyncio.to_thread(private_dir, ctx.run_dir)
        # For people to read; apply uses the stored bytes, never this file.
        await asyncio.to_thread(write_private, ctx.sql_path, sql_bytes)
        command = "built-in differ (production → desired schema)"
        git_commit = None
    source = decode_sql(sql_bytes, name="the plan's SQL")
    sql = source.text
    review = await analyze_in_worker(source)
    try:
        impacts = await estimate_impact(review, ctx.target.database_url.value)
        review = review.with_impact(impacts)
    except AlignError as exc:
        warnings.append(f"impact estimates unavailable: {exc.message}")
    changes = [
        {
            "object": ", ".join(s.objects) or s.kind,
            "operation": s.kind,
            "text": " ".join(s.sql.split())[:140],
            "destructive": str(s.tier) == "DESTRUCTIVE",
        }
        for s in review.statements
        if not folded(s)
    ][:MAX_CHANGES_RECORDED]
    sha = hashlib.sha256(sql_bytes).hexdigest()
    data = {
        "command": command,
        "sql_file": str(ctx.sql_path),
        "sha256": sha,
        "statement_count": len(changes),
        "changes": changes,
        "no_changes": not changes,
        "warnings": warnings,
        "notes": notes[:200],
    }
    return PlanResult(
        sql_bytes=sql_bytes,
        sql=sql,
        sha256=sha,
        fingerprint=fingerprint,
        review=review,
        data=data,
        git_commit=git_commit,
    )


def plan_source(sql_bytes: bytes) -> SqlSource:
    """The plan's bytes as psql would read them (a leading BOM dropped); SqlInputError when they
    are not SQL text (a NUL byte, invalid UTF-8)."""
    return decode_sql(sql_bytes, name="the plan's SQL")


def folded(stmt: ReviewedStatement) -> bool:
    """A bare BEGIN/COMMIT of the script, which the one apply transaction replaces."""
    return stmt.txn_control is TxnControl.FOLD


def review_data(review: Review) -> dict[str, Any]:
    return {
        "verdict": review.verdict_label,
        "counts": review.counts,
        "findings": [f.to_json() for f in review.findings][:500],
        "destructive": destructive_categories(review),
        "impact": [{"statement_index": i.statement_index, **i.to_json()} for i in review.impacts][
            :200
        ],
        "non_transactional": [s.index for s in review.statements if not s.transactional],
        "folded": [s.index for s in review.statements if folded(s)],
        "unappliable": list(review.unappliable),
        "notes": list(review.notes),
    }


def statements_of(review: Review) -> list[SqlStatement]:
    return [
        SqlStatement(index=s.index, sql=s.sql, transactional=s.transactional, fold=folded(s))
        for s in review.statements
    ]


# ----------------------------------------------------------------------------- 4. rehearsal
async def rehearse(
    ctx: StepContext, review: Review, snapshot: dict[str, Any] | None
) -> dict[str, Any]:
    mode = ctx.target.rehearsal
    if mode == "off":
        return {"status": "skipped", "mode": "off", "reason": 'rehearsal = "off" in the config'}
    if not snapshot or snapshot.get("provider") == "none":
        return {
            "status": "skipped",
            "mode": mode,
            "reason": 'no snapshot to rehearse on (snapshot = "none")',
        }
    provider = provider_for(ctx.target, data_dir=ctx.settings.data_dir, masker=ctx.masker)
    info = SnapshotInfo.from_json(snapshot)
    try:
        async with provider.open_copy(info, schema_only=(mode == "schema-only")) as copy_url:
            result = await rehearse_statements(
                copy_url,
                statements_of(review),
                statement_timeout_ms=ctx.settings.timeouts.statement_timeout_ms,
            )
    except SnapshotError as exc:
        return {"status": "skipped", "mode": mode, "reason": exc.message}
    except AlignError as exc:
        return {
            "status": "failed",
            "mode": mode,
            "error": ctx.masker.mask(exc.message),
            "failed_statement_index": getattr(exc, "statement_index", None),
        }
    return {
        "status": "passed",
        "mode": mode,
        "duration_s": result.duration_s,
        "statements": result.durations[:500],
        "locks": result.locks[:200],
        "locks_held": result.locks_held,
        "not_rehearsed": result.non_transactional,
    }


async def lock_budget(
    ctx: StepContext, review: Review, rehearsal: Mapping[str, Any]
) -> dict[str, Any]:
    """Will the plan's one transaction fit in production's lock table (see locks.py)? Measured
    by the rehearsal when it ran, else estimated; production's settings read from its catalog.
    Never fails the run: an unreadable setting is recorded and the card says nothing."""
    held = rehearsal.get("locks_held") if rehearsal.get("status") == "passed" else None
    try:
        conn = await connect(ctx.target.database_url.value)
        try:
            capacity = await locks.read_capacity(conn)
        finally:
            await conn.close()
    except (AlignError, asyncpg.PostgresError, OSError) as exc:
        return {"error": ctx.masker.mask(str(getattr(exc, "message", exc)))}
    measured = held is not None
    needed = int(held) if measured else locks.estimate_locks(review)
    return locks.lock_budget(needed=needed, measured=measured, capacity=capacity)


# ----------------------------------------------------------------------------- 7. verify
async def verify(ctx: StepContext) -> dict[str, Any]:
    """The built-in judge: production re-diffed against the desired schema (when there is one)."""
    async with desired_database(ctx.target, ctx.run_dir) as url:
        if url is None:
            return {}
        prod = await fetch_schema(ctx.target.database_url.value, options=_options(ctx))
        desired = await fetch_schema(url, options=_options(ctx))
        prod = await align_definitions(prod, desired, url)
    plan = await asyncio.to_thread(diff_schemas, prod, desired)
    data: dict[str, Any] = {
        "builtin_in_sync": plan.is_empty and plan.complete,
        "remaining": [s.sql for s in plan.statements][:100],
    }
    if not plan.complete and plan.is_empty:  # equal as far as align can see: that is not enough
        data |= {"builtin_in_sync": None, "unplanned": plan.unplanned[:100]}
    return data


async def verify_command(ctx: StepContext) -> dict[str, Any]:
    """The runbook's own verify command (commands mode); exit 0 means in sync."""
    commands = ctx.target.commands
    assert commands is not None and commands.verify
    result = await run_configured(ctx, commands.verify, step="verify", run_id=ctx.run_id)
    return {
        "command": _argv_text(commands.verify),
        "command_exit_code": result.exit_code,
        "command_output_tail": result.output_tail[-2000:],
    }


def has_verify_command(ctx: StepContext) -> bool:
    commands = ctx.target.commands
    return ctx.target.mode == "commands" and commands is not None and bool(commands.verify)


async def verify_all(ctx: StepContext) -> dict[str, Any]:
    """Every judge at once (used after a restart, outside the step sequence)."""
    data = await verify(ctx)
    if has_verify_command(ctx):
        data |= await verify_command(ctx)
    return verdict(data)


def verdict(data: dict[str, Any]) -> dict[str, Any]:
    """Both judges must agree; with neither, the run cannot claim to be in sync. A judge that
    cannot tell (None: a difference the built-in differ cannot plan or compare) makes the
    verdict None — NOT VERIFIED — unless another judge already says OUT OF SYNC."""
    judges = [data["builtin_in_sync"]] if "builtin_in_sync" in data else []
    if "command_exit_code" in data:
        judges.append(data["command_exit_code"] == 0)
    if not judges:
        return {
            **data,
            "in_sync": False,
            "note": "nothing could judge the result: no desired schema and no verify command",
        }
    if False in judges:
        return {**data, "in_sync": False}
    if None in judges:
        note = "differences align cannot plan or compare remain: " + "; ".join(
            data.get("unplanned") or []
        )
        return {**data, "in_sync": None, "note": note}
    return {**data, "in_sync": True}


def outcome(verify: dict[str, Any]) -> str:
    """The run's outcome word for a verdict."""
    in_sync = verify.get("in_sync")
    return "IN SYNC" if in_sync is True else "OUT OF SYNC" if in_sync is False else "NOT VERIFIED"


# ----------------------------------------------------------------------------- 10. related
async def related_changes(ctx: StepContext, run: Run, since_commit: str | None) -> dict[str, Any]:
    changes = [c["text"] for c in run.data.get("diff", {}).get("changes", [])][:200]
    data: dict[str, Any] = {"schema_changes": changes, "commits": []}
    commands = ctx.target.commands
    if ctx.target.mode == "commands" and commands is not None:
        data["commits"] = await schema_commits(
            commands.checkout, commands.schema_path, since=since_commit
        )
        data["since_commit"] = since_commit
    return data


def plan_verdict(plan: PlanResult) -> str:
    return "EMPTY" if plan.data["no_changes"] else plan.review.verdict_label

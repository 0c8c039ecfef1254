"""Step 6, apply: exactly the reviewed bytes, or nothing.

The bytes come from the approved plan in the store, never from a file someone else can write.
They are hashed again and compared with the plan's sha256 (invariant 1), production's
fingerprint is compared with the plan's (invariant 2), then either the bot's own transactional
apply runs the bytes (per-statement progress, the failing statement recorded, production
unchanged after a failure) or the configured apply command runs on a private read-only copy of
them (``ALIGN_SQL_FILE``: 0400 in a 0700 directory of the bot's), re-hashed after the command
exits. Both hold the database's apply lock (identity.py) for the whole apply. After a failure,
``judge_after_failure`` reads production again and says what it has (production.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.errors import AlignError, ApplyError
from bot.files import private_dir, write_private
from bot.review.analyze import analyze_in_worker
from bot.store.records import Plan
from bot.workflow import steps
from bot.workflow.context import StepContext
from bot.workflow.execute import Progress, apply_lock, apply_statements
from bot.workflow.production import Transaction, judge_production

SQL_FILE_VARIABLE = "ALIGN_SQL_FILE"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def apply_plan(ctx: StepContext, plan: Plan, *, progress: Progress) -> dict[str, Any]:
    """Apply and return what the report records; ApplyError carries that record as ``data``."""
    started = time.monotonic()
    data: dict[str, Any] = {
        "plan_id": plan.id,
        "sha256_reviewed": plan.sql_sha256,
        "sha256_applied": sha256_bytes(plan.sql_bytes),
    }
    try:
        if data["sha256_applied"] != plan.sql_sha256:
            raise ApplyError("the stored SQL is not byte-identical to the reviewed SQL; refused")
        if plan.unappliable:
            raise ApplyError("this plan cannot be applied: " + "; ".join(plan.unappliable))
        if await steps.production_fingerprint(ctx) != plan.prod_fingerprint:
            raise ApplyError("production's schema changed between approval and apply; refused")
        commands = ctx.target.commands
        if commands is not None and commands.apply:
            await _apply_with_command(ctx, plan, commands.apply, data)
        else:
            await _apply_builtin(ctx, plan, data, progress)
    except (AlignError, OSError) as exc:  # OSError: e.g. no room for the private copy
        context = exc.context if isinstance(exc, AlignError) else {}
        message = exc.message if isinstance(exc, AlignError) else f"apply failed: {exc}"
        partial = context.get("result")
        if "exit_code" not in data:  # the built-in apply (or nothing ran): its transaction
            data["transaction"] = str(context.get("transaction") or Transaction.NOT_STARTED)
        data.update(
            error=ctx.masker.mask(message),
            failed_statement_index=getattr(exc, "statement_index", None),
            failed_statement=getattr(exc, "statement", None),
            statements_applied=partial.statements_applied if partial is not None else 0,
            duration_s=round(time.monotonic() - started, 3),
        )
        raise ApplyError(
            data["error"],
            statement_index=data["failed_statement_index"],
            statement=data["failed_statement"],
            data=data,
        ) from exc
    data["duration_s"] = round(time.monotonic() - started, 3)
    return data


async def _apply_builtin(
    ctx: StepContext, plan: Plan, data: dict[str, Any], progress: Progress
) -> None:
    stmts = steps.statements_of(await analyze_in_worker(steps.plan_source(plan.sql_bytes)))
    folded = [s.index for s in stmts if s.fold]
    data.update(
        command="built-in transactional apply",
        statements_total=len(stmts) - len(folded),
        folded_statements=folded,
    )
    result = await apply_statements(
        ctx.target.database_url.value,
        stmts,
        target=ctx.target.name,
        lock_timeout_ms=ctx.settings.timeouts.lock_timeout_ms,
        statement_timeout_ms=ctx.settings.timeouts.statement_timeout_ms,
        progress=progress,
    )
    data.update(
        statements_applied=result.statements_applied,
        statements_total=result.statements_total,
        non_transactional=result.non_transactional,
        durations=result.durations[:500],
    )


async def _apply_with_command(
    ctx: StepContext, plan: Plan, argv: tuple[str, ...], data: dict[str, Any]
) -> None:
    data["command"] = " ".join(argv)
    async with apply_lock(ctx.target.database_url.value, target=ctx.target.name):
        with private_copy(plan.sql_bytes, parent=ctx.run_dir) as path:
            result = await steps.run_configured(
                ctx,
                argv,
                step="apply",
                run_id=plan.run_id,
                extra_env={SQL_FILE_VARIABLE: str(path)},
            )
            try:
                after = sha256_bytes(path.read_bytes())
            except OSError as exc:
                after = f"unreadable after the command ran ({exc.strerror})"
    data.update(
        exit_code=result.exit_code,
        output_tail=result.output_tail[-4000:],
        sha256_applied=after,
        sql_file_variable=SQL_FILE_VARIABLE,
    )
    if not result.ok:
        raise ApplyError(f"`{data['command']}` failed (exit {result.exit_code})")
    if after != plan.sql_sha256:
        raise ApplyError(
            f"the reviewed SQL handed to `{data['command']}` (${SQL_FILE_VARIABLE}) was changed "
            "while the command ran; what was applied cannot be certified — production is "
            "verified and the run is marked failed"
        )


async def judge_after_failure(
    ctx: StepContext,
    plan: Plan,
    data: dict[str, Any],
    *,
    why_unknown: str | None = None,
) -> dict[str, Any]:
    """Re-verify production after a failed (or interrupted) apply and say what it has.

    ``data`` is the apply's record (``transaction`` for the built-in apply; ``exit_code`` for a
    configured command). Returns ``production``, ``production_detail`` and ``verify`` (the
    re-verification, for the report's Verification section); never raises for a production it
    cannot read: that is ``unknown``, with the reason."""
    raw = data.get("transaction")
    transaction = Transaction(raw) if raw else None
    if why_unknown is not None:
        transaction = Transaction.UNKNOWN
    elif transaction is None and "exit_code" not in data:
        transaction = Transaction.NOT_STARTED  # failed before any command or statement ran
    try:
        fingerprint: str | None = await steps.production_fingerprint(ctx)
        unreadable = None
    except AlignError as exc:
        fingerprint, unreadable = None, ctx.masker.mask(exc.message)
    try:
        verify = await steps.verify_all(ctx)
    except AlignError as exc:
        verify = {"note": f"verification failed: {ctx.masker.mask(exc.message)}"}
    judged = judge_production(
        transaction=transaction,
        fingerprint_before=plan.prod_fingerprint,
        fingerprint_now=fingerprint,
        unreadable=unreadable,
        verify=verify,
        why_unknown=why_unknown,
    )
    return {**judged.to_json(), "verify": verify}


@contextlib.contextmanager
def private_copy(sql_bytes: bytes, *, parent: Path) -> Iterator[Path]:
    """The bytes in a file only this user can read (0400) in a directory only this user can
    enter (0700), whatever the umask; removed afterwards."""
    private_dir(parent)
    directory = Path(tempfile.mkdtemp(prefix="apply-", dir=parent))  # created 0700
    try:
        yield write_private(directory / "reviewed.sql", sql_bytes, mode=0o400)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

"""Step 6, apply: exactly the reviewed SQL, or nothing.

The file is read again and its sha256 compared with the reviewed one (invariant 1), production's
fingerprint is compared with the one taken at diff time (invariant 2), then either the bot's own
transactional apply runs (per-statement progress, the failing statement recorded, production
unchanged after a failure) or the configured apply command does.
"""

from __future__ import annotations

import time
from typing import Any

from bot.errors import AlignError, ApplyError
from bot.review.analyze import analyze_in_worker
from bot.store import Run
from bot.workflow import steps
from bot.workflow.context import StepContext, sha256_text
from bot.workflow.execute import Progress, apply_statements


async def apply_run(ctx: StepContext, run: Run, *, progress: Progress) -> dict[str, Any]:
    """Apply and return what the report records; ApplyError carries that record as ``data``."""
    started = time.monotonic()
    sql = ctx.sql_path.read_text(encoding="utf-8") if ctx.sql_path.exists() else ""
    data: dict[str, Any] = {"sha256_reviewed": run.sql_sha256, "sha256_applied": sha256_text(sql)}
    try:
        if data["sha256_applied"] != run.sql_sha256:
            raise ApplyError("the SQL to apply is not byte-identical to the reviewed SQL; refused")
        if await steps.production_fingerprint(ctx) != run.prod_fingerprint:
            raise ApplyError("production's schema changed between approval and apply; refused")
        commands = ctx.target.commands
        if commands is not None and commands.apply:
            data["command"] = " ".join(commands.apply)
            result = await steps.run_configured(ctx, commands.apply, step="apply", run_id=run.id)
            data.update(exit_code=result.exit_code, output_tail=result.output_tail[-4000:])
            if not result.ok:
                raise ApplyError(f"`{data['command']}` failed (exit {result.exit_code})")
        else:
            stmts = steps.statements_of(await analyze_in_worker(sql))
            data.update(command="built-in transactional apply", statements_total=len(stmts))
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
    except AlignError as exc:
        partial = exc.context.get("result")
        data.update(
            error=ctx.masker.mask(exc.message),
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

"""The orchestrator: one supervised asyncio task per run, every transition persisted first.

``start`` records the run and drives it to the review gate: every diff records an immutable plan
(the exact SQL bytes, production's fingerprint, the snapshot, the git commit, the verdict) and
supersedes the previous one. ``decide`` records a reviewer's decision on a plan (the rules are in
policy.py, their effects in gate.py) and, for an approval of the run's current plan whose facts
still hold, applies exactly that plan's bytes, verifies and finishes. Recovery actions and start-up
recovery are in recovery.py. The review gate is durable: a run waiting for review is only a row in
the store, so restarts lose nothing. ``recover`` runs at start-up and resolves runs a dead process
left behind; a run found in ``applying`` is never applied again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import AlignError, ApplyError, CommandError, RunRefused
from bot.store import Run, Store
from bot.store.records import Plan
from bot.store.store import who
from bot.tasks import TaskSupervisor
from bot.workflow import gate, recovery, steps
from bot.workflow.apply_step import apply_plan, judge_after_failure
from bot.workflow.authority import Actor, Authority
from bot.workflow.context import Listener, StepContext
from bot.workflow.health import run_health_checks
from bot.workflow.identity import database_key
from bot.workflow.reporting import write_report_files
from bot.workflow.run import CANCELLABLE_STATES, RunState

log = logging.getLogger(__name__)

S = RunState
HEARTBEAT_S = 10.0
# After a failed heartbeat the next try comes this soon, doubling up to HEARTBEAT_S: a store
# that blinked sees the run's heartbeat again within seconds of coming back.
HEARTBEAT_RETRY_S = 0.5
# A run whose driver has been silent this long is orphaned: its process died.
ORPHAN_AFTER_S = 60.0
# Steps whose findings live under another run.data key (see the report's contract).
_DATA_KEY = {
    "git_checks": "git",
    "generate_client": "dev_sync",
    "health_checks": "health",
    "related_changes": "related",
}


class Runner:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        supervisor: TaskSupervisor,
        clock: Clock | None = None,
        listeners: Iterable[Listener] = (),
        authority: Authority | None = None,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.settings = settings
        self.store = store
        self.supervisor = supervisor
        self.clock = clock or SystemClock()
        # Who may decide: Slack reviewers (with groups, when a Slack directory is given) and
        # terminal reviewers; checked by the gate for every decision, whatever the interface.
        self.authority = authority or Authority(settings.policy)
        self.listeners: list[Listener] = list(listeners)
        self.masker = settings.masker()
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        # Identifies this process as the driver of the runs it works on (see recovery.py).
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.heartbeat_s = heartbeat_s

    # ------------------------------------------------------------------ plumbing
    def context(self, run: Run) -> StepContext:
        target = self.settings.target(run.target)
        return StepContext(
            settings=self.settings,
            target=target,
            store=self.store,
            masker=self.masker,
            run_dir=self.run_dir(run.id),
            clock=self.clock,
            run_id=run.id,
        )

    def run_dir(self, run_id: str) -> Path:
        return self.settings.data_dir / "runs" / run_id

    async def emit(self, run: Run, event: str, **detail: Any) -> None:
        for listener in self.listeners:
            try:
                await listener(run, event, detail)
            except Exception:  # a broken listener (Slack down) never stops a run
                log.exception("listener failed", extra={"run_id": run.id, "event": event})

    def spawn(self, run_id: str, coro: Awaitable[Any], what: str) -> asyncio.Task[Any]:
        """Drive ``run_id`` with ``coro`` in a supervised task that claims the run for this
        process and keeps its heartbeat fresh while it works."""
        task = self.supervisor.spawn(self._driven(run_id, coro), name=f"run {run_id} {what}")
        self._tasks[run_id] = task

        def forget(done: asyncio.Task[Any]) -> None:
            if self._tasks.get(run_id) is done:  # not a later task of the same run
                del self._tasks[run_id]

        task.add_done_callback(forget)
        return task

    def drives(self, run_id: str) -> bool:
        """True while a task of this process works on ``run_id``: such a run is alive whatever
        its heartbeat says (the store may have missed beats while it was unreachable)."""
        task = self._tasks.get(run_id)
        return task is not None and not task.done()

    async def _driven(self, run_id: str, coro: Awaitable[Any]) -> Any:
        await self.store.claim_run(run_id, self.owner)
        beat = asyncio.create_task(self._heartbeat(run_id), name=f"heartbeat {run_id}")
        try:
            return await coro
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _heartbeat(self, run_id: str) -> None:
        """Every ``heartbeat_s``, tell the store this process still drives the run; for as long
        as the run's task lives. A failed beat (the store restarting, a network blip) is retried
        sooner, with capped backoff, and never ends the heartbeats: other replicas sweep a run
        whose heartbeat went quiet, and a live apply must not look dead because the store
        blinked."""
        delay = self.heartbeat_s
        failures = 0
        while True:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(max(self.heartbeat_s, 5.0)):
                    await self.store.heartbeat(self.owner, [run_id])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever the store raised, the next beat must come
                failures += 1
                delay = min(HEARTBEAT_RETRY_S * 2 ** (failures - 1), self.heartbeat_s)
                log.warning(
                    "heartbeat failed (%s, %d in a row); retrying in %.1fs",
                    type(exc).__name__,
                    failures,
                    delay,
                    extra={"run_id": run_id},
                )
                continue
            if failures:
                log.info(
                    "heartbeat restored after %d failed attempt(s)",
                    failures,
                    extra={"run_id": run_id},
                )
            failures, delay = 0, self.heartbeat_s

    async def wait(self, run_id: str) -> Run:
        """Wait for the run's current task (CLI and tests); returns the run as stored."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)
        run = await self.store.get_run(run_id)
        assert run is not None
        return run

    async def _move(
        self,
        run: Run,
        to: RunState,
        *,
        frm: Iterable[RunState] | None = None,
        actor: str = "align-bot",
        **fields: Any,
    ) -> Run:
        moved = await self.store.transition(
            run.id, from_states=frm or [run.state], to_state=to, actor=actor, **fields
        )
        if moved is None:
            current = await self.store.get_run(run.id)
            raise (
                asyncio.CancelledError()
                if current and current.state is S.CANCELLED
                else (RunRefused(f"run {run.id} moved on to {current.state if current else '?'}"))
            )
        log.info("run state changed", extra={"run_id": run.id, "state": to.value})
        await self.emit(moved, "state")
        return moved

    async def _step(
        self,
        run: Run,
        name: str,
        work: Callable[[], Awaitable[Any]],
        *,
        timeout: float | None = None,
    ) -> Any:
        await self.store.start_step(run.id, name)
        await self.emit(run, "step_started", step=name)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout or self.settings.timeouts.step_s):
                result = await work()
        except TimeoutError as exc:
            await self.store.finish_step(
                run.id, name, status="failed", output_tail=f"timed out after {timeout}s"
            )
            raise AlignError(f"step {name} timed out") from exc
        except AlignError as exc:
            await self.store.finish_step(
                run.id,
                name,
                status="failed",
                exit_code=getattr(exc, "exit_code", None),
                output_tail=self.masker.mask(getattr(exc, "output_tail", "") or exc.message)[
                    -4000:
                ],
            )
            await self.emit(run, "step_finished", step=name, status="failed")
            raise
        detail = result if isinstance(result, dict) else {}
        await self.store.finish_step(
            run.id,
            name,
            status="succeeded",
            output_tail=self.masker.mask(str(detail.get("output_tail", "")))[-4000:] or None,
            detail={"duration_s": round(time.monotonic() - started, 3)},
        )
        await self.emit(run, "step_finished", step=name, status="succeeded")
        return result

    async def _fail(
        self, run_id: str, err: AlignError | Exception, *, step: str | None
    ) -> Run | None:
        message = self.masker.mask(err.message if isinstance(err, AlignError) else repr(err))
        current = await self.store.get_run(run_id)
        if current is None or current.is_final:
            return current
        notes = [
            *current.data.get("notes", []),
            f"failed at {step or current.state.value}: {message}",
        ]
        extra: dict[str, Any] = {}
        recorded = err.context.get("data") if isinstance(err, AlignError) else None
        if recorded and step:  # what the failed step found, under its run.data key
            key = _DATA_KEY.get(step, step)
            extra[key] = {**current.data.get(key, {}), **recorded}
        await self.store.update_run(run_id, data={"notes": notes, **extra}, error=message)
        failed = await self.store.transition(run_id, from_states=[current.state], to_state=S.FAILED)
        if failed is not None:
            await self.emit(failed, "failed", step=step, error=message)
            await self.write_report(failed)  # every run that ends has its report
        return failed

    # ------------------------------------------------------------------ start → review
    async def start(
        self,
        *,
        target: str | None,
        requested_by: str,
        via: str,
        channel: str | None = None,
        resumed_from: str | None = None,
    ) -> Run:
        t = self.settings.target(target)
        run = await self.store.create_run(
            target=t.name,
            mode=t.mode,
            requested_by=requested_by,
            requested_via=via,
            resumed_from=resumed_from,
            channel=channel or t.channel or self.settings.channel,
            database_key=await database_key(t.database_url.value),
        )
        run = await self.store.update_run(run.id, data={"target_label": t.database_label})
        await self.emit(run, "created")
        self.spawn(run.id, self._to_review(run), "to review")
        return run

    async def _to_review(self, run: Run) -> None:
        step = None
        try:
            ctx = self.context(run)
            run = await self._move(run, S.PRECONDITIONS)
            step = "snapshot"
            snap = await self._step(run, "snapshot", lambda: steps.take_snapshot(ctx, run))
            run = await self.store.update_run(
                run.id, data={"snapshot": snap}, snapshot_id=snap.get("id")
            )
            if ctx.target.mode == "commands":
                step = "git_checks"
                git = await self._step(run, "git_checks", lambda: steps.check_git(ctx))
                run = await self.store.update_run(
                    run.id, data={"git": git}, git_commit=git["commit"]
                )
            run = await self._move(run, S.DEV_SYNC)
            step = "dev_sync"
            sync = await self._step(run, "dev_sync", lambda: steps.dev_sync(ctx))
            run = await self.store.update_run(run.id, data={"dev_sync": sync})
            if ctx.target.commands is not None and ctx.target.commands.generate_client:
                step = "generate_client"
                gen = await self._step(run, step, lambda: steps.generate_client(ctx))
                run = await self.store.update_run(run.id, data={"dev_sync": {**sync, **gen}})
            await self._plan(run)
        except asyncio.CancelledError:
            raise
        except AlignError as exc:
            await self._fail(run.id, exc, step=step)
        except Exception as exc:
            log.exception("run crashed", extra={"run_id": run.id})
            await self._fail(run.id, exc, step=step)

    async def _plan(self, run: Run, *, fresh_snapshot: bool = False) -> None:
        """→ diff → (fresh snapshot) → (rehearsal) → plan recorded → awaiting_review; or →
        verifying when nothing changes."""
        ctx = self.context(run)
        run = await self._move(run, S.DIFF, frm=[S.DEV_SYNC, S.DEFERRED, S.AWAITING_REVIEW])
        plan = await self._step(run, "diff", lambda: steps.make_plan(ctx))
        run = await self.store.update_run(
            run.id,
            data={"diff": plan.data, "review": steps.review_data(plan.review)},
            sql_text=plan.sql,
            git_commit=plan.git_commit or run.git_commit,
        )
        if plan.data["no_changes"]:
            await self._record_plan(run, plan, run.data.get("snapshot") or {}, expires=None)
            await self.store.record_step(
                run.id, "rehearsal", status="skipped", detail={"reason": "no changes"}
            )
            run = await self._move(run, S.VERIFYING)
            await self._finish(run)
            return
        snapshot = await self._snapshot_for(run, ctx, plan, fresh=fresh_snapshot)
        rehearsal = await self._step(
            run, "rehearsal", lambda: steps.rehearse(ctx, plan.review, snapshot)
        )
        budget = await steps.lock_budget(ctx, plan.review, rehearsal)
        expires = self.clock.now() + timedelta(seconds=self.settings.timeouts.approval_ttl_s)
        run = await self.store.update_run(
            run.id, data={"rehearsal": rehearsal, "lock_budget": budget}
        )
        recorded = await self._record_plan(run, plan, snapshot, expires=expires)
        run = await self._move(run, S.AWAITING_REVIEW, approval_expires_at=expires)
        await self.emit(run, "awaiting_review", review=plan.review, plan=recorded)

    async def _record_plan(
        self, run: Run, plan: steps.PlanResult, snapshot: dict[str, Any], *, expires: Any
    ) -> Plan:
        taken = snapshot.get("created_at")
        return await self.store.record_plan(
            run.id,
            sql_bytes=plan.sql_bytes,
            sql_sha256=plan.sha256,
            prod_fingerprint=plan.fingerprint,
            verdict=steps.plan_verdict(plan),
            unappliable=plan.review.unappliable,
            snapshot_id=snapshot.get("id"),
            snapshot_fingerprint=snapshot.get("prod_fingerprint"),
            snapshot_taken_at=datetime.fromisoformat(taken) if taken else None,
            git_commit=plan.git_commit,
            expires_at=expires,
        )

    async def _snapshot_for(
        self, run: Run, ctx: StepContext, plan: steps.PlanResult, *, fresh: bool
    ) -> dict[str, Any]:
        """The snapshot this plan is bound to: the run's own when it holds the plan's starting
        point and is recent enough, else a new one (a fresh plan gets a fresh restore point)."""
        snapshot: dict[str, Any] = run.data.get("snapshot") or {}
        if ctx.target.snapshot == "none":
            return snapshot
        taken = snapshot.get("created_at")
        age = (self.clock.now() - datetime.fromisoformat(taken)).total_seconds() if taken else None
        if not (
            fresh
            or snapshot.get("status") != "available"
            or snapshot.get("prod_fingerprint") != plan.fingerprint
            or age is None
            or age > self.settings.timeouts.snapshot_max_age_s
        ):
            return snapshot
        label = f"{run.id}-{secrets.token_hex(2)}"  # never overwrite an earlier plan's snapshot
        snapshot = await self._step(
            run, "snapshot", lambda: steps.take_snapshot(ctx, run, label=label)
        )
        await self.store.update_run(run.id, data={"snapshot": snapshot}, snapshot_id=snapshot["id"])
        return snapshot

    # ------------------------------------------------------------------ decisions
    async def decide(
        self,
        plan_id: str,
        *,
        decision: str,
        actor: Actor,
        reason: str | None = None,
        remind_at: datetime | None = None,
        confirmation: str | None = None,
    ) -> gate.Decided:
        """Record a reviewer's decision on a plan (rules in policy.py). Raises RunRefused, naming
        the rule, when the decision is not allowed; nothing is recorded then but the refusal."""
        return await gate.decide(
            self,
            plan_id,
            decision=decision,
            actor=actor,
            reason=reason,
            remind_at=remind_at,
            confirmation=confirmation,
        )

    async def replan(self, run: Run, *, fresh_snapshot: bool = False) -> None:
        """Diff again (a supervised task): after a stale review, or when a deferred run resumes."""
        try:
            await self._plan(run, fresh_snapshot=fresh_snapshot)
        except AlignError as exc:
            await self._fail(run.id, exc, step="diff")
        except Exception as exc:  # never leave the run in diff, unreported
            log.exception("run crashed", extra={"run_id": run.id})
            await self._fail(run.id, exc, step="diff")

    # ------------------------------------------------------------------ apply → done
    async def apply_and_finish(self, run: Run) -> None:
        step = "apply"
        try:
            ok = await self._apply(run)
            run = await self.store.get_run(run.id)  # type: ignore[assignment]
            step = "verify"
            if ok:
                if not run.is_final:  # ended meanwhile (swept as interrupted): stays ended
                    run = await self._move(run, S.VERIFYING, frm=[S.APPLYING])
                await self._finish(run)
        except AlignError as exc:
            await self._fail(run.id, exc, step=step)
        except Exception as exc:  # a bug must not leave the run holding its target unreported
            log.exception("run crashed", extra={"run_id": run.id})
            await self._fail(run.id, exc, step=step)

    async def _apply(self, run: Run) -> bool:
        ctx = self.context(run)
        await self.store.start_step(run.id, "apply")

        async def progress(done: int, total: int) -> None:
            await self.emit(run, "apply_progress", done=done, total=total)

        plan = await self.store.get_plan(run.plan_id) if run.plan_id else None
        try:
            if plan is None:
                raise ApplyError(f"run {run.id} has no approved plan; nothing was applied")
            data = await apply_plan(ctx, plan, progress=progress)
        except ApplyError as exc:
            data = dict(exc.context.get("data") or {"error": exc.message})
            fields: dict[str, Any] = {}
            if plan is not None:  # what does production have now? (never "rolled back" unless so)
                data |= await judge_after_failure(ctx, plan, data)
                verify = data["verify"]
                fields = {"data": {"verify": verify}}
                if "in_sync" in verify:
                    fields["outcome"] = steps.outcome(verify)
            else:
                data |= {"production": "unchanged", "production_detail": "nothing was applied"}
            await self.store.finish_step(
                run.id, "apply", status="failed", output_tail=data.get("error"), detail=data
            )
            stored = {**fields.pop("data", {}), "apply": data}
            await self.store.update_run(run.id, data=stored, **fields)
            raise
        await self.store.finish_step(
            run.id,
            "apply",
            status="succeeded",
            detail={"duration_s": data["duration_s"]},
            output_tail=data.get("output_tail"),
        )
        await self.store.update_run(run.id, data={"apply": data})
        return True

    async def _finish(self, run: Run) -> None:
        """verifying → health_checks → done; always ends with a report. A run that already
        ended (another process declared it interrupted while this one still drove it) is only
        verified: the result is recorded and reported, the state stays (final states are
        final)."""
        ctx = self.context(run)
        verify = await self._step(run, "verify", lambda: steps.verify(ctx))
        if steps.has_verify_command(ctx):
            verify |= await self._step(run, "verify_command", lambda: steps.verify_command(ctx))
        verify = steps.verdict(verify)
        outcome = steps.outcome(verify)
        run = await self.store.update_run(run.id, data={"verify": verify}, outcome=outcome)
        if run.is_final:
            await self._record_late_verification(run, outcome)
            return
        run = await self._move(run, S.HEALTH_CHECKS)
        health = await self._step(
            run,
            "health_checks",
            lambda: run_health_checks(ctx.target, masker=self.masker, run_id=run.id),
        )
        run = await self.store.update_run(run.id, data={"health": health})
        last = await self.store.last_successful_run(run.target, before=run.created_at)
        try:
            related = await self._step(
                run,
                "related_changes",
                lambda: steps.related_changes(ctx, run, last.git_commit if last else None),
            )
        except CommandError as exc:
            related = {"schema_changes": [], "commits": [], "error": exc.message}
        run = await self.store.update_run(run.id, data={"related": related})
        run = await self._move(run, S.DONE)
        await self.write_report(run)
        await self.emit(run, "finished", outcome=outcome)

    async def _record_late_verification(self, run: Run, outcome: str) -> None:
        """The run was ended under this process's feet (swept while the store was unreachable)
        but its work went on here: say so, with what production has now, in the run's notes
        and report; the state is not touched."""
        note = (
            f"this process was still driving the run when it was marked {run.state.value}; "
            f"its work went on and production was verified afterwards: {outcome}"
        )
        run = await self.store.update_run(
            run.id, data={"notes": [*run.data.get("notes", []), note]}
        )
        log.warning(
            "run ended elsewhere while still driven here; verification recorded",
            extra={"run_id": run.id, "state": run.state.value},
        )
        await self.emit(run, "verified_after_end", outcome=outcome)
        await self.write_report(run)

    async def write_report(self, run: Run) -> Path | None:
        """Write the run's report files and emit "report" with their paths; never raises.

        A report that cannot be written (a full disk, a broken store, a rendering bug) is itself
        recorded — ``run.data["report_error"]``, a ``report.failed`` audit row — and emitted as
        "report_failed" with the reason, so whatever follows (the "finished" event, the Slack
        thread) still happens and says so."""
        try:
            paths = await write_report_files(
                self.store,
                run.id,
                self.run_dir(run.id),
                target=self.settings.target(run.target),
                masker=self.masker,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self.record_report_failure(run, _report_reason(exc), stage="write")
            return None
        fresh: Run | None = None
        try:
            fresh = await self.store.get_run(run.id)
            if fresh is not None and fresh.data.get("report_error"):  # written after all
                fresh = await self.store.update_run(run.id, data={"report_error": None})
        except Exception:  # the files are written; the event below still tells the listeners
            log.exception("could not read the run back after its report", extra={"run_id": run.id})
        await self.emit(fresh or run, "report", paths=paths)
        return paths[0] if paths else None

    async def record_report_failure(self, run: Run, reason: str, *, stage: str) -> None:
        """Record that the report of ``run`` could not be written (``stage="write"``) or
        delivered (``stage="upload"``: for the Slack side to call), audit it and emit
        "report_failed" (detail: ``reason``, ``stage``). Never raises: the store may be what
        failed, and the event is emitted regardless."""
        reason = self.masker.mask(reason)
        log.error("report %s failed: %s", stage, reason, extra={"run_id": run.id})
        failure = {"stage": stage, "reason": reason, "at": self.clock.now().isoformat()}
        try:
            run = await self.store.update_run(run.id, data={"report_error": failure})
            await self.store.audit(
                "align-bot",
                "report.failed",
                run_id=run.id,
                target=run.target,
                plan_id=run.plan_id,
                detail={"stage": stage, "reason": reason},
            )
        except Exception:
            log.exception("could not record the report failure", extra={"run_id": run.id})
        await self.emit(run, "report_failed", reason=reason, stage=stage)

    # ------------------------------------------------------------------ cancel, resume, recovery
    async def cancel(self, run_id: str, *, user: str) -> Run:
        run = await self.store.get_run(run_id)
        if run is None:
            raise RunRefused(f"no run {run_id}")
        moved = await self.store.transition(
            run_id, from_states=CANCELLABLE_STATES, to_state=S.CANCELLED, actor=user
        )
        if moved is None:
            raise RunRefused(
                f"run {run_id} is {run.state.value}: only runs before apply can be cancelled"
            )
        task = self._tasks.get(run_id)
        if task is not None:
            task.cancel()
        await self.emit(moved, "cancelled", user=user)
        await self.write_report(moved)
        return moved

    async def resume(self, run_id: str, *, user: str) -> Run:
        """A deferred run goes back to diff (always re-diffed: production may have moved)."""
        run = await self.store.get_run(run_id)
        if run is None or run.state is not S.DEFERRED:
            raise RunRefused(f"run {run_id} is not deferred" if run else f"no run {run_id}")
        holder = await self.store.active_run(run.target)
        if holder is None and run.database_key is not None:
            holder = await self.store.active_run_on_database(run.database_key)
        if holder is not None:
            raise RunRefused(
                f"target '{run.target}' is busy with run {holder.id} ({who(holder.requested_by)})"
            )
        await self.store.audit(user, "run.resume", run_id=run_id, target=run.target)
        self.spawn(run_id, self.replan(run), "resume")
        return run

    async def finish_after_restart(self, run: Run) -> None:
        """Verify and finish a run found in verifying/health_checks whose driver died (both
        read-only); a run that is already final is verified and reported, never moved."""
        try:
            await self._finish(run)
        except AlignError as exc:
            await self._fail(run.id, exc, step="verify")
        except Exception as exc:
            log.exception("run crashed", extra={"run_id": run.id})
            await self._fail(run.id, exc, step="verify")

    # Recovery actions live in bot/workflow/recovery.py; the runner is their one entry point.
    async def recover(self, *, quiet_s: float = ORPHAN_AFTER_S) -> list[Run]:
        return await recovery.recover_at_startup(self, quiet_s=quiet_s)

    async def sweep_orphans(
        self, *, every_s: float = ORPHAN_AFTER_S / 2, quiet_s: float = ORPHAN_AFTER_S
    ) -> None:
        """Forever (a supervised background task): resolve runs whose driving process went
        quiet for ``quiet_s``. Runs this process drives are never touched (see recovery.py)."""
        while True:
            await asyncio.sleep(every_s)
            try:
                resolved = await self.recover(quiet_s=quiet_s)
            except Exception:  # the store restarting can raise nearly anything (asyncpg's
                # InternalClientError included); one failed round must not end the sweep
                log.exception("orphaned-run sweep failed; retrying later")
                continue
            if resolved:
                log.warning("%d orphaned run(s) marked interrupted", len(resolved))

    async def restore_snapshot(self, run_id: str, *, user: str, override: str | None = None) -> Run:
        return await recovery.restore_snapshot(self, run_id, user=user, override=override)

    async def restore_check(self, run_id: str) -> recovery.RestoreCheck:
        return await recovery.assess_restore(self, run_id)

    async def mark_manual(self, run_id: str, *, user: str, note: str) -> Run:
        return await recovery.mark_manual(self, run_id, user=user, note=note)

    async def rerun(self, run_id: str, *, user: str, via: str) -> Run:
        return await recovery.rerun(self, run_id, user=user, via=via)


def _report_reason(exc: BaseException) -> str:
    """Why the report could not be written, in words an operator can act on."""
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"writing the report failed: {exc.strerror or exc}{where}"
    if isinstance(exc, AlignError):
        return f"the report could not be produced: {exc.message}"
    return f"the report could not be produced: {exc!r}"


__all__ = ["Runner"]

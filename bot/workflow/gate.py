"""The review gate: what a reviewer's decision does, and when an approval is refused.

An approval stands only if the reviewer is not the requester (four-eyes), the review has not
expired, the rehearsal did not fail, a snapshot exists (unless the target says none), and the
four facts it is bound to still hold: the SQL file's sha256, production's schema fingerprint,
and (commands mode) the checkout's commit; the snapshot is the fourth. A stale review is never
applied: a fresh diff starts and needs its own review. Decisions and the moves they cause are
recorded in one transaction, and only the click that wins the move counts, so double clicks and
two reviewers at once give one decision and at most one apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.errors import PlanDrift, RunRefused
from bot.store import Run
from bot.workflow import steps
from bot.workflow.gitcheck import read_git_state
from bot.workflow.run import RunState

if TYPE_CHECKING:
    from bot.workflow.runner import Runner

S = RunState
DECISIONS = ("approved", "rejected", "deferred")


async def decide(
    runner: Runner,
    run_id: str,
    *,
    decision: str,
    user: str,
    reason: str | None,
    remind_at: datetime | None,
) -> Run:
    if decision not in DECISIONS:
        raise RunRefused(f"unknown decision {decision!r}")
    run = await runner.store.get_run(run_id)
    if run is None:
        raise RunRefused(f"no run {run_id}")
    await runner.store.audit(
        user, f"click.{decision}", run_id=run_id, target=run.target, sql_sha256=run.sql_sha256
    )
    if run.state is not S.AWAITING_REVIEW:
        raise RunRefused(f"run {run_id} is {run.state.value}, not awaiting review")
    if decision == "rejected":
        if not (reason or "").strip():
            raise RunRefused("a rejection needs a reason")
        return await _close_review(runner, run, decision, user, reason, S.REJECTED)
    if decision == "deferred":
        return await _close_review(
            runner, run, decision, user, reason, S.DEFERRED, remind_at=remind_at
        )
    await _check_approval(runner, run, user)
    return await _approve(runner, run, user, reason)


def decision_record(
    run: Run, decision: str, user: str, reason: str | None, remind_at: datetime | None = None
) -> dict[str, Any]:
    """A decision bound to the four facts of the plan it was made on."""
    return {
        "decision": decision,
        "user_id": user,
        "reason": reason,
        "sql_sha256": run.sql_sha256,
        "prod_fingerprint": run.prod_fingerprint,
        "snapshot_id": run.snapshot_id,
        "git_commit": run.git_commit,
        "remind_at": remind_at,
    }


async def _close_review(
    runner: Runner,
    run: Run,
    decision: str,
    user: str,
    reason: str | None,
    to: RunState,
    **fields: Any,
) -> Run:
    moved = await runner.store.transition(
        run.id,
        from_states=[S.AWAITING_REVIEW],
        to_state=to,
        actor=user,
        decision=decision_record(run, decision, user, reason, fields.get("remind_at")),
        **fields,
    )
    if moved is None:
        raise RunRefused(f"run {run.id} was already decided")
    await runner.emit(moved, "decided", decision=decision, user=user, reason=reason)
    if to is S.REJECTED:
        await runner.write_report(moved)
    return moved


async def _check_approval(runner: Runner, run: Run, user: str) -> None:
    if runner.settings.policy.four_eyes and user == run.requested_by:
        raise RunRefused("four-eyes rule: the requester cannot approve their own run")
    if run.approval_expires_at and runner.clock.now() > run.approval_expires_at:
        await _invalidate(runner, run, "the review window expired")
        raise RunRefused("this review expired; a fresh diff was started and needs a new review")
    if run.data.get("rehearsal", {}).get("status") == "failed":
        raise RunRefused("the rehearsal failed: fix the SQL or production, then re-run")
    target = runner.settings.target(run.target)
    snapshot = run.data.get("snapshot") or {}
    if target.snapshot != "none" and snapshot.get("status") != "available":
        raise RunRefused("no usable snapshot of production exists; apply cannot start")
    stale = await stale_fact(runner, run)
    if stale:
        await _invalidate(runner, run, stale)
        raise PlanDrift(f"{stale}: apply refused; a fresh diff was started and needs a new review")


async def stale_fact(runner: Runner, run: Run) -> str | None:
    """Which of the approval's facts no longer holds (None: all current)."""
    ctx = runner.context(run)
    if steps.file_sha256(ctx.sql_path) != run.sql_sha256:
        return "the SQL file changed after review (sha256 differs)"
    if await steps.production_fingerprint(ctx) != run.prod_fingerprint:
        return "production's schema changed since the diff"
    commands = ctx.target.commands
    if ctx.target.mode == "commands" and commands is not None:
        state = await read_git_state(commands.checkout)
        if state.commit != run.git_commit:
            return "the application checkout moved to another commit since the diff"
    return None


async def _invalidate(runner: Runner, run: Run, why: str) -> None:
    """Record why the review no longer holds and start a fresh diff."""
    await runner.store.audit(
        "align-bot",
        "review.invalidated",
        run_id=run.id,
        sql_sha256=run.sql_sha256,
        detail={"why": why},
    )
    notes = [*run.data.get("notes", []), f"review invalidated: {why}; re-diffed"]
    await runner.store.update_run(run.id, data={"notes": notes})
    runner.spawn(run.id, runner.replan(run), "re-diff")


async def _approve(runner: Runner, run: Run, user: str, reason: str | None) -> Run:
    two_needed = (
        runner.settings.policy.second_approver_for_destructive
        and run.data.get("review", {}).get("verdict") == "DESTRUCTIVE"
    )
    approval = decision_record(run, "approved", user, reason)
    if two_needed:
        if await runner.store.record_decision(run.id, **approval) is None:  # same reviewer
            return run
        approvers = {
            d.user_id
            for d in await runner.store.decisions(run.id)
            if d.decision == "approved" and d.sql_sha256 == run.sql_sha256
        }
        if len(approvers) < 2:
            await runner.emit(run, "approval_pending", user=user, needed=2 - len(approvers))
            return run
    # Only the click that wins the move to applying records its approval (in the same
    # transaction); with two approvers both were recorded above.
    moved = await runner.store.transition(
        run.id,
        from_states=[S.AWAITING_REVIEW],
        to_state=S.APPLYING,
        actor=user,
        decision=None if two_needed else approval,
    )
    if moved is None:  # another reviewer's click won
        current = await runner.store.get_run(run.id)
        assert current is not None
        return current
    await runner.emit(moved, "decided", decision="approved", user=user, reason=reason)
    runner.spawn(run.id, runner.apply_and_finish(moved), "apply")
    return moved

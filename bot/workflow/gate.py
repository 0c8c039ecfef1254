"""The review gate's effects: gather the facts, ask the policy, then record or refuse.

The rules themselves are pure and live in policy.py. This module reads what they need (the run,
the plan the decider saw, whether the decider may review, and for approvals a fresh look at
production and the checkout), and performs what the ruling says: a refusal is audited and raised
(a plan that no longer holds is superseded and diffed again); a decision and the move it causes
are recorded in one transaction, conditioned on the plan still being the run's current one, so a
re-diff racing a click can never let the click apply the new plan, and only the click that wins
the move counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.errors import PlanDrift, RunRefused
from bot.store import Run
from bot.store.records import Plan, run_id_of_plan
from bot.workflow import steps
from bot.workflow.authority import Actor
from bot.workflow.gitcheck import read_git_state
from bot.workflow.policy import (
    Decision,
    DecisionFacts,
    FreshFacts,
    Ruling,
    rule_on_decision,
    rule_on_freshness,
)
from bot.workflow.run import RunState

if TYPE_CHECKING:
    from bot.workflow.runner import Runner

S = RunState


class Outcome(StrEnum):
    APPLYING = "applying"  # this approval won: apply has started
    APPROVAL_PENDING = "approval_pending"  # recorded; another reviewer must approve too
    ALREADY_DECIDED = "already_decided"  # another click won the move
    REJECTED = "rejected"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class Decided:
    """What a decision did, so callers never re-query the store to find out."""

    outcome: Outcome
    run: Run
    plan: Plan
    approvals_needed: int = 0


async def decide(
    runner: Runner,
    plan_id: str,
    *,
    decision: str,
    actor: Actor,
    reason: str | None,
    remind_at: datetime | None,
    confirmation: str | None,
) -> Decided:
    try:
        kind = Decision(decision)
        run_id = run_id_of_plan(plan_id)
    except ValueError as exc:
        raise RunRefused(f"this decision names no plan ({exc}); nothing was done") from exc
    run = await runner.store.get_run(run_id)
    if run is None:
        raise RunRefused(f"no run {run_id}")
    plan = await runner.store.get_plan(plan_id)
    await runner.store.audit(
        actor.key,
        f"click.{kind.value}",
        run_id=run_id,
        target=run.target,
        sql_sha256=plan.sql_sha256 if plan else None,
        plan_id=plan_id,
    )
    reviewer, why = await runner.authority.may_review(actor)
    target = runner.settings.target(run.target)
    ruling = rule_on_decision(
        DecisionFacts(
            decision=kind,
            actor=actor.key,
            reviewer=reviewer,
            reviewer_why=why,
            run_id=run.id,
            run_state=run.state,
            current_plan_id=run.plan_id,
            requested_by=run.requested_by,
            plan=plan,
            now=runner.clock.now(),
            reason=reason,
            four_eyes=runner.settings.policy.four_eyes,
            target=run.target,
            confirmation=confirmation,
            rehearsal_failed=(run.data.get("rehearsal") or {}).get("status") == "failed",
            snapshot_required=target.snapshot != "none",
            snapshot_available=(run.data.get("snapshot") or {}).get("status") == "available",
        )
    )
    if ruling.allowed and kind is Decision.APPROVED:
        assert plan is not None
        ruling = rule_on_freshness(plan, await fresh_facts(runner, run, plan))
    if not ruling.allowed:
        await _refuse(runner, run, plan, actor, kind, ruling)
    assert plan is not None
    if kind is Decision.APPROVED:
        return await _approve(runner, run, plan, actor, reason)
    to = S.REJECTED if kind is Decision.REJECTED else S.DEFERRED
    return await _close_review(runner, run, plan, actor, kind, reason, to, remind_at)


async def fresh_facts(runner: Runner, run: Run, plan: Plan) -> FreshFacts:
    ctx = runner.context(run)
    commit = None
    commands = ctx.target.commands
    if ctx.target.mode == "commands" and commands is not None:
        commit = (await read_git_state(commands.checkout)).commit
    return FreshFacts(
        stored_sha256=hashlib.sha256(plan.sql_bytes).hexdigest(),
        prod_fingerprint=await steps.production_fingerprint(ctx),
        git_commit=commit,
    )


async def _refuse(
    runner: Runner, run: Run, plan: Plan | None, actor: Actor, kind: Decision, ruling: Ruling
) -> None:
    await runner.store.audit(
        actor.key,
        f"decision.{kind.value}.refused",
        run_id=run.id,
        target=run.target,
        sql_sha256=plan.sql_sha256 if plan else None,
        plan_id=plan.id if plan else None,
        detail={"why": ruling.reason},
    )
    if ruling.replan and plan is not None:
        await invalidate(runner, run, plan, ruling.reason)
        raise PlanDrift(
            f"{ruling.reason}: apply refused; a fresh diff was started and its new plan needs "
            "its own review"
        )
    raise RunRefused(ruling.reason)


async def invalidate(runner: Runner, run: Run, plan: Plan, why: str) -> None:
    """Supersede a plan that no longer holds and diff again (once, however many clicks saw it)."""
    if not await runner.store.supersede_plan(plan.id, why=why):
        return
    notes = [*run.data.get("notes", []), f"plan {plan.id} superseded: {why}; re-diffed"]
    await runner.store.update_run(run.id, data={"notes": notes})
    runner.spawn(run.id, runner.replan(run, fresh_snapshot=True), "re-diff")


def decision_record(
    plan: Plan,
    decision: Decision,
    actor: Actor,
    reason: str | None,
    remind_at: datetime | None = None,
) -> dict[str, Any]:
    """A decision bound to the plan it was made on (and that plan's facts, for the report)."""
    return {
        "decision": decision.value,
        "user_id": actor.key,
        "reason": reason,
        "plan_id": plan.id,
        "sql_sha256": plan.sql_sha256,
        "prod_fingerprint": plan.prod_fingerprint,
        "snapshot_id": plan.snapshot_id,
        "git_commit": plan.git_commit,
        "remind_at": remind_at,
    }


async def _close_review(
    runner: Runner,
    run: Run,
    plan: Plan,
    actor: Actor,
    kind: Decision,
    reason: str | None,
    to: RunState,
    remind_at: datetime | None,
) -> Decided:
    fields: dict[str, Any] = {"remind_at": remind_at} if to is S.DEFERRED else {}
    moved = await runner.store.transition(
        run.id,
        from_states=[S.AWAITING_REVIEW],
        to_state=to,
        actor=actor.key,
        decision=decision_record(plan, kind, actor, reason, remind_at),
        require_plan=plan.id,
        **fields,
    )
    if moved is None:
        raise RunRefused(f"run {run.id} was already decided, or its plan was replaced")
    await runner.emit(moved, "decided", decision=kind.value, user=actor.key, reason=reason)
    if to is S.REJECTED:
        await runner.write_report(moved)
    return Decided(Outcome(to.value), moved, plan)


async def _approve(
    runner: Runner, run: Run, plan: Plan, actor: Actor, reason: str | None
) -> Decided:
    two_needed = runner.settings.policy.second_approver_for_destructive and (
        plan.verdict == "DESTRUCTIVE"
    )
    approval = decision_record(plan, Decision.APPROVED, actor, reason)
    if two_needed:
        await runner.store.record_decision(run.id, **approval)  # a repeat changes nothing
        approvers = {
            d.user_id
            for d in await runner.store.decisions(run.id)
            if d.decision == "approved" and d.plan_id == plan.id
        }
        if len(approvers) < 2:
            await runner.emit(run, "approval_pending", user=actor.key, needed=2 - len(approvers))
            return Decided(Outcome.APPROVAL_PENDING, run, plan, approvals_needed=2 - len(approvers))
    # Only the click that wins the move to applying records its approval (in the same
    # transaction, and only while this plan is still the run's current one).
    moved = await runner.store.transition(
        run.id,
        from_states=[S.AWAITING_REVIEW],
        to_state=S.APPLYING,
        actor=actor.key,
        decision=None if two_needed else approval,
        require_plan=plan.id,
    )
    if moved is None:  # another reviewer's click won, or a re-diff replaced the plan
        current = await runner.store.get_run(run.id)
        assert current is not None
        if current.plan_id != plan.id:
            raise RunRefused(f"plan {plan.id} was replaced while you decided; nothing was done")
        return Decided(Outcome.ALREADY_DECIDED, current, plan)
    await runner.emit(moved, "decided", decision="approved", user=actor.key, reason=reason)
    runner.spawn(run.id, runner.apply_and_finish(moved), "apply")
    return Decided(Outcome.APPLYING, moved, plan)

"""The review gate's rules, as pure functions: facts in, a ruling out. No I/O.

A reviewer decides on a *plan* (see :class:`~bot.store.records.Plan`), never on a run: the
button, modal or prompt they used carries the plan id they saw. The rules, in the order they
are checked (the first that fails is the ruling):

1. the plan exists, belongs to the run, and the run is awaiting review;
2. the plan is the run's current one: a card or prompt for a superseded plan is stale, and
   nothing it says is acted on;
3. the decider is a reviewer for the interface they used (Slack reviewers, terminal reviewers);
4. a rejection has a reason;
5. approvals only: four-eyes (the requester cannot approve their own run); the plan has not
   expired; it can be applied as one transaction; the rehearsal did not fail; a snapshot that
   holds the plan's starting point exists (unless the target takes none); a DESTRUCTIVE plan is
   confirmed by typing the target's name;
6. approvals only, with facts read right before deciding (:func:`rule_on_freshness`): the stored
   bytes still hash to the plan's sha256, production's schema still has the plan's fingerprint,
   and the checkout is still at the plan's commit.

A ruling with ``replan`` set means the plan itself no longer holds (expired, production moved, the
snapshot predates the plan): the runner supersedes it and diffs again, and the new plan needs its
own review. The runner gathers the facts, calls these functions and performs the effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.store.records import Plan
from bot.workflow.run import RunState


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class Ruling:
    allowed: bool
    reason: str = ""
    replan: bool = False  # the plan no longer holds: supersede it and diff again


ALLOW = Ruling(True)


def refuse(reason: str, *, replan: bool = False) -> Ruling:
    return Ruling(False, reason, replan)


@dataclass(frozen=True)
class DecisionFacts:
    """What the gate knows when a decision arrives (all read from the store and settings)."""

    decision: Decision
    actor: str  # the interface's own identity: a Slack user id, or cli:USER@HOST
    reviewer: bool  # the actor may review on the interface they used
    reviewer_why: str  # why not, when ``reviewer`` is False
    run_id: str
    run_state: RunState
    current_plan_id: str | None
    requested_by: str
    plan: Plan | None
    now: datetime
    reason: str | None = None
    four_eyes: bool = True
    target: str = ""
    confirmation: str | None = None  # the target name typed to approve a DESTRUCTIVE plan
    rehearsal_failed: bool = False
    snapshot_required: bool = True
    snapshot_available: bool = False


def rule_on_decision(f: DecisionFacts) -> Ruling:
    """Rules 1–5: everything that needs no fresh look at production."""
    plan = f.plan
    if plan is None or plan.run_id != f.run_id:
        return refuse(f"no plan of run {f.run_id} has that id")
    if f.run_state is not RunState.AWAITING_REVIEW:
        return refuse(f"run {f.run_id} is {f.run_state.value}, not awaiting review")
    if plan.id != f.current_plan_id or plan.is_superseded:
        return refuse(stale_plan_text(plan, f.current_plan_id))
    if not f.reviewer:
        return refuse(f.reviewer_why or "you are not a reviewer")
    if f.decision is Decision.REJECTED and not (f.reason or "").strip():
        return refuse("a rejection needs a reason")
    if f.decision is not Decision.APPROVED:
        return ALLOW
    return _rule_on_approval(f, plan)


def _rule_on_approval(f: DecisionFacts, plan: Plan) -> Ruling:
    if f.four_eyes and f.actor == f.requested_by:
        return refuse("four-eyes rule: the requester cannot approve their own run")
    if plan.expires_at is not None and f.now > plan.expires_at:
        return refuse("the review window of this plan expired", replan=True)
    if plan.unappliable:
        return refuse("this plan cannot be applied: " + "; ".join(plan.unappliable))
    if f.rehearsal_failed:
        return refuse("the rehearsal failed: fix the SQL or production, then re-run")
    if f.snapshot_required:
        if not f.snapshot_available or plan.snapshot_id is None:
            return refuse("no usable snapshot of production exists; apply cannot start")
        if plan.snapshot_fingerprint != plan.prod_fingerprint:
            return refuse(
                "the snapshot predates the plan (production's schema changed between them)",
                replan=True,
            )
    if plan.verdict == "DESTRUCTIVE" and (f.confirmation or "").strip() != f.target:
        return refuse(f"a DESTRUCTIVE plan is approved by typing the target's name ({f.target})")
    return ALLOW


@dataclass(frozen=True)
class FreshFacts:
    """Read right before an approval is accepted."""

    stored_sha256: str  # sha256 of the plan's bytes as read back from the store
    prod_fingerprint: str
    git_commit: str | None  # None: the target has no checkout


def rule_on_freshness(plan: Plan, fresh: FreshFacts) -> Ruling:
    """Rule 6: the plan still describes what would happen if it were applied now."""
    if fresh.stored_sha256 != plan.sql_sha256:
        return refuse("the stored SQL no longer matches the reviewed sha256; refused")
    if fresh.prod_fingerprint != plan.prod_fingerprint:
        return refuse("production's schema changed since the diff", replan=True)
    if fresh.git_commit is not None and fresh.git_commit != plan.git_commit:
        return refuse(
            "the application checkout moved to another commit since the diff", replan=True
        )
    return ALLOW


def stale_plan_text(plan: Plan, current_plan_id: str | None) -> str:
    """What a click on an old card says: which plan it showed and what replaced it."""
    why = f" ({plan.superseded_why})" if plan.superseded_why else ""
    if current_plan_id and current_plan_id != plan.id:
        return (
            f"this card shows plan {plan.id}, which was replaced by plan {current_plan_id}{why}; "
            "nothing was done — review the new card"
        )
    return f"plan {plan.id} is no longer current{why}; nothing was done"

"""Section 4 of the runbook: SQL review (analyzer findings, rehearsal, the decision). Pure."""

from __future__ import annotations

from bot.report.display import seconds, step_status, when
from bot.report.facts import Facts
from bot.report.model import NOT_RUN, Check, DecisionView, FindingView, ReviewSection

__all__ = ["build_review"]

# The template's three destructive categories and the analyzer codes that feed each.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("DROP TABLE", "DROP_TABLE"),
    ("DROP COLUMN", "DROP_COLUMN"),
    ("ALTER TYPE", "ALTER_COLUMN_TYPE"),
)


def _decisions(facts: Facts) -> tuple[DecisionView, ...]:
    return tuple(
        DecisionView(
            decision=d.decision.upper(),
            by=facts.who(d.user_id),
            at=d.created_at,
            reason=d.reason,
            sql_sha256=d.sql_sha256,
            remind_at=d.remind_at,
            plan_id=d.plan_id,
        )
        for d in facts.decisions
    )


def _category_objects(review: dict, category: str, code: str) -> tuple[str, ...]:
    listed = (review.get("destructive") or {}).get(category)
    if listed:
        return tuple(str(x) for x in listed)
    found = [f.get("object") for f in review.get("findings") or [] if f.get("code") == code]
    return tuple(dict.fromkeys(str(o) for o in found if o))


def _rehearsal(facts: Facts) -> str | None:
    data = facts.data("rehearsal")
    if not data:
        status = step_status(facts.step.get("rehearsal"), run_stopped=facts.stopped)
        return None if status == NOT_RUN else status
    status = str(data.get("status", "unknown"))
    text = status.upper()
    if data.get("mode"):
        text += f" on a {data['mode']} copy of production"
    if data.get("duration_s") is not None:
        text += f" in {seconds(data['duration_s'])}"
    if status == "failed":
        text += f"; statement #{data.get('failed_statement_index')} failed: {data.get('error', '')}"
    locks = data.get("locks") or []
    if locks:
        text += "; locks taken: " + ", ".join(
            f"{lk.get('mode')} on {lk.get('relation')}" for lk in locks
        )
    return text


def _decision_summary(
    facts: Facts, decisions: tuple[DecisionView, ...], *, no_changes: bool
) -> tuple[str, str]:
    state = facts.run.state.value
    if decisions:
        last = decisions[-1]
        same = [
            d
            for d in decisions
            if d.decision == last.decision
            and (d.plan_id, d.sql_sha256) == (last.plan_id, last.sql_sha256)
        ]
        who = " and ".join(d.by for d in same)
        detail = f"by {who} at {when(last.at)}"
        if last.decision == "DEFERRED" and last.remind_at:
            detail += f"; reminder set for {when(last.remind_at)}"
        if last.plan_id:
            detail += f" on plan `{last.plan_id}`"
        if last.sql_sha256:
            detail += f" (SQL sha256 `{last.sql_sha256}`)"
        return last.decision, detail
    if no_changes:
        return "NOT REQUIRED", "the diff is empty, so there was nothing to review or apply"
    if state == "awaiting_review":
        return "PENDING", "waiting for a reviewer"
    if state == "cancelled":
        return "NOT MADE", "the run was cancelled before a decision"
    if state in ("failed", "interrupted"):
        return "NOT MADE", f"the run {state} before review"
    return "NOT MADE", "the run did not reach review"


def build_review(facts: Facts, *, no_changes: bool) -> ReviewSection:
    review = facts.data("review")
    decisions = _decisions(facts)
    findings = [f for f in review.get("findings") or [] if isinstance(f, dict)]
    destructive = []
    counted = {code for _, code in CATEGORIES}
    for category, code in CATEGORIES:
        objects = _category_objects(review, category, code)
        label = f"{category}: " + (", ".join(f"`{o}`" for o in objects) if objects else "none")
        if review:
            check = Check(label, bool(objects))
        else:
            check = Check(f"{category}: none", False, "empty diff" if no_changes else NOT_RUN)
        destructive.append((category, check, objects))
    others = tuple(
        FindingView(
            code=str(f.get("code", "")),
            tier=str(f.get("tier", "")),
            statement=f.get("statement_index"),
            line=f.get("line"),
            object=str(f.get("object") or ""),
            message=str(f.get("message") or ""),
            suggestion=str(f.get("suggestion") or ""),
        )
        for f in findings
        if f.get("code") not in counted
    )
    n_destructive = sum(1 for f in findings if f.get("tier") == "DESTRUCTIVE")
    if review:
        safe = n_destructive == 0 and not any(objs for _, _, objs in destructive)
        attention = sum(1 for f in findings if f.get("tier") == "NEEDS_ATTENTION")
        note = (
            f"no destructive change; {attention} finding(s) need attention"
            if safe and attention
            else ""
        )
        none_check = Check("None (safe to apply)", safe, note)
    elif no_changes:
        none_check = Check("None (safe to apply)", True, "the diff is empty")
    else:
        none_check = Check("None (safe to apply)", False, NOT_RUN)
    decision, detail = _decision_summary(facts, decisions, no_changes=no_changes)
    reviewers = list(dict.fromkeys(d.by for d in decisions))
    if reviewers:
        reviewer = ", ".join(reviewers)
    elif no_changes:
        reviewer = "none needed (empty diff)"
    else:
        reviewer = "nobody yet" if facts.run.state.value == "awaiting_review" else NOT_RUN
    verdict = review.get("verdict")
    counts = review.get("counts") or {}
    if verdict and counts:
        verdict += " (" + ", ".join(f"{n} {tier}" for tier, n in counts.items() if n) + ")"
    impact = tuple(
        f"statement #{i.get('statement_index')} `{i.get('object')}`: {i.get('text')}"
        for i in review.get("impact") or []
        if isinstance(i, dict)
    )
    lock_warning = facts.data("lock_budget").get("warning")
    if lock_warning:
        impact += (f"lock table: {lock_warning}",)
    reviewed_sha = next((d.sql_sha256 for d in reversed(decisions) if d.sql_sha256), None)
    status = (
        "succeeded" if review else step_status(facts.step.get("review"), run_stopped=facts.stopped)
    )
    return ReviewSection(
        status=status,
        reviewer=reviewer,
        verdict=verdict,
        none_check=none_check,
        destructive=tuple(destructive),
        findings=others,
        decision=decision,
        decision_detail=detail,
        reasons=tuple(f"{d.by} ({d.decision.lower()}): {d.reason}" for d in decisions if d.reason),
        decisions=decisions,
        reviewed_sha256=reviewed_sha or facts.run.sql_sha256,
        rehearsal=_rehearsal(facts),
        impact=impact,
    )

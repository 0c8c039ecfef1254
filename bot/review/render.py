"""Review -> plain text for a terminal (``align review``), most severe first.

Each finding reads: statement number, line, object, code, what happens, the safer form, and the
measured impact when ``--against`` was given. Locks and rewrites follow, per statement. Notes on
the input (a stripped byte order mark) come right after the verdict, and reasons the plan cannot
be applied come before the findings: they decide whether there is anything to approve at all.
"""

from __future__ import annotations

from bot.review.hazards import Tier, TxnControl
from bot.review.model import Review

__all__ = ["render_review_text"]

_TIER_TITLES = {
    Tier.DESTRUCTIVE: "DESTRUCTIVE — data or objects are lost",
    Tier.NEEDS_ATTENTION: (
        "NEEDS ATTENTION — may fail on existing data, break running code, or lock heavily"
    ),
}


def render_review_text(review: Review, *, source: str = "") -> str:
    counts = review.counts
    lines = [
        f"Verdict: {review.verdict_label}" + (f"  ({source})" if source else ""),
        f"{len(review.statements)} statements: {counts['DESTRUCTIVE']} destructive, "
        f"{counts['NEEDS_ATTENTION']} need attention, {counts['SAFE']} safe",
    ]
    lines += [f"note: {note}" for note in review.notes]
    if review.is_empty:
        lines.append("nothing to apply: the script has no statements besides comments")
        if review.statements:
            lines[-1] += " and BEGIN/COMMIT"
    if review.unappliable:
        lines += ["", "CANNOT BE APPLIED — the apply runs the plan as one transaction of SQL"]
        lines += [f"  {reason}" for reason in review.unappliable]
    folded = [f"#{s.index} {s.kind}" for s in review.statements if s.txn_control is TxnControl.FOLD]
    if folded and not review.is_empty:
        lines.append(f"folded into the apply transaction (not run): {', '.join(folded)}")
    by_index = {s.index: s for s in review.statements}
    for tier in (Tier.DESTRUCTIVE, Tier.NEEDS_ATTENTION):
        findings = [f for f in review.findings if f.tier is tier]
        if not findings:
            continue
        lines += ["", _TIER_TITLES[tier]]
        for finding in findings:
            where = f"#{finding.statement_index} line {finding.line}"
            lines.append(f"  {where}  {finding.code}  {finding.object}")
            lines.append(f"      {finding.message}")
            if finding.suggestion:
                lines.append(f"      safer: {finding.suggestion}")
            stmt = by_index[finding.statement_index]
            for impact in stmt.impacts:
                if _applies(impact.object, finding.object):
                    lines.append(f"      impact: {impact.text}")
    hazard_lines = [
        f"  #{s.index} line {s.line}  {h.message}"
        for s in review.statements
        for h in s.hazards
        if h.kind != "NON_TRANSACTIONAL"
    ]
    if hazard_lines:
        lines += ["", "Locks, rewrites and scans", *hazard_lines]
    other_impacts = [
        f"  #{s.index}  {i.text}" for s in review.statements if not s.findings for i in s.impacts
    ]
    if other_impacts:
        lines += ["", "Impact of the other statements", *other_impacts]
    return "\n".join(lines) + "\n"


def _applies(impact_object: str, finding_object: str) -> bool:
    """An impact on a table belongs under findings about the table, its columns, constraints."""
    return impact_object == finding_object or finding_object.startswith(
        (impact_object + ".", impact_object + " ")
    )

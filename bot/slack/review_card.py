"""The review card: what the reviewer needs to decide, built from the stored run only.

Changes grouped by table, the analyzer's verdict with destructive findings first, hazards, data
impact, the rehearsal, a SQL preview with its line count and the sha256, then Approve / Reject /
Defer. Every part has a character budget, so the card stays inside Block Kit's limits (≤50
blocks, ≤3000 per section, ~12k in total) whatever the size of the diff; the full SQL goes into
the thread as a file. Buttons carry only the run id: authorization is re-read at click time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.slack import ids
from bot.slack.blocks import Message, escape
from bot.slack.format import button, clip, context, mention, plain, section, slack_date

if TYPE_CHECKING:
    from bot.store.records import Decision, Run

__all__ = ["destructive_summary", "review_card", "sql_preview"]

_VERDICT_EMOJI = {
    "SAFE": ":large_green_circle:",
    "NEEDS_ATTENTION": ":large_yellow_circle:",
    "DESTRUCTIVE": ":red_circle:",
}
PREVIEW_LINES = 25
PREVIEW_CHARS = 1800


def _bullets(lines: Sequence[str], *, budget: int, more: str) -> str:
    """Join lines until ``budget`` characters; then say how many were left out."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget - 40:
            out.append(more.format(n=len(lines) - i))
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _table_of(obj: str) -> str:
    first = obj.split(",")[0].strip()
    parts = first.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else first


def _changes_by_table(changes: Sequence[dict[str, Any]]) -> list[str]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        groups.setdefault(_table_of(str(change.get("object") or "?")), []).append(change)
    lines = []
    for table, items in groups.items():
        ops = Counter(str(c.get("operation") or "?") for c in items)
        what = ", ".join(f"{op}×{n}" if n > 1 else op for op, n in ops.most_common(4))
        if len(ops) > 4:
            what += ", …"
        flag = " :warning:" if any(c.get("destructive") for c in items) else ""
        lines.append(f"• `{escape(clip(table, 120))}`{flag} — {escape(what)}")
    return lines


def destructive_summary(run: Run, *, limit: int = 280) -> str:
    """One line naming the destructive findings (for confirm dialogs and modals)."""
    findings = [
        f
        for f in (run.data.get("review") or {}).get("findings", [])
        if f.get("tier") == "DESTRUCTIVE"
    ]
    if not findings:
        return "No destructive findings."
    names = [f"{f.get('code')} {f.get('object') or ''}".strip() for f in findings]
    return clip(f"{len(findings)} destructive: " + "; ".join(names), limit)


def sql_preview(sql: str) -> tuple[str, int]:
    """The first lines of the script (within budget) and its total line count."""
    lines = sql.splitlines()
    shown: list[str] = []
    used = 0
    for line in lines[:PREVIEW_LINES]:
        line = clip(line, 300)
        if used + len(line) + 1 > PREVIEW_CHARS:
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown), len(lines)


def _findings_sections(review: dict[str, Any]) -> list[dict[str, Any]]:
    findings = review.get("findings") or []
    destructive = [f for f in findings if f.get("tier") == "DESTRUCTIVE"]
    fills = [f for f in findings if f.get("code") == FILL_CODE]
    other = [f for f in findings if f.get("tier") != "DESTRUCTIVE" and f not in fills]
    blocks = []
    if destructive:
        lines = [
            f"• `{escape(str(f.get('code')))}` {escape(str(f.get('object') or ''))} — "
            f"{escape(clip(str(f.get('message') or ''), 160))}"
            for f in destructive
        ]
        body = _bullets(lines, budget=2200, more="… and {n} more destructive findings")
        blocks.append(section(f":rotating_light: *Destructive*\n{body}"))
    if fills:
        blocks.append(_fills_section(fills, review.get("impact") or []))
    if other:
        codes = Counter(str(f.get("code")) for f in other)
        examples: dict[str, str] = {}
        for f in other:
            examples.setdefault(str(f.get("code")), str(f.get("object") or ""))
        lines = [
            f"• `{escape(code)}`"
            + (f" ×{n}" if n > 1 else "")
            + f" — e.g. {escape(examples[code])}"
            for code, n in codes.most_common()
        ]
        body = _bullets(lines, budget=1400, more="… and {n} more hazard kinds")
        blocks.append(section(f":warning: *Hazards*\n{body}"))
    return blocks


FILL_CODE = "FILL_EXISTING_ROWS"


def _fills_section(fills: list[dict[str, Any]], impacts: list[dict[str, Any]]) -> dict[str, Any]:
    """Each fill value in full with the rows it fills (a reviewer may reject and set their
    own): the value is a decision the plan makes, not only a hazard kind."""
    counts = {str(i.get("object")): str(i.get("text")) for i in impacts if i.get("kind") == "fills"}
    lines = []
    for f in fills:
        obj = str(f.get("object") or "")
        rows = counts.get(obj, f"{obj}: number of rows unknown (no impact estimate)")
        lines.append(
            f"• {escape(clip(str(f.get('message') or ''), 200))}\n   _{escape(clip(rows, 160))}_"
        )
    body = _bullets(lines, budget=1400, more="… and {n} more fill values")
    return section(f":pencil2: *Fill values for existing rows*\n{body}")


def _impact_section(review: dict[str, Any]) -> dict[str, Any] | None:
    impacts = review.get("impact") or []
    if not impacts:
        return None
    lines = [f"• {escape(clip(str(i.get('text') or ''), 200))}" for i in impacts]
    return section("*Data impact*\n" + _bullets(lines, budget=1200, more="… and {n} more"))


def _rehearsal_section(rehearsal: dict[str, Any]) -> dict[str, Any] | None:
    if not rehearsal:
        return None
    status = str(rehearsal.get("status"))
    emoji = {"passed": ":white_check_mark:", "failed": ":x:"}.get(status, ":fast_forward:")
    line = f"{emoji} *Rehearsal* {escape(status)} ({escape(str(rehearsal.get('mode', '')))})"
    if rehearsal.get("duration_s") is not None:
        line += f" in {float(rehearsal['duration_s']):.2f} s"
    rows = sum(int(s.get("rows") or 0) for s in rehearsal.get("statements") or [])
    if rehearsal.get("statements"):
        line += f", {rows:,} rows touched"
    locks = rehearsal.get("locks") or []
    if locks:
        shown = {f"{lk.get('relation')} ({lk.get('mode')})" for lk in locks}
        names = ", ".join(sorted(shown)[:8]) + (" …" if len(shown) > 8 else "")
        line += f"\nLocks: {escape(names)}"
    if rehearsal.get("error"):
        line += f"\n```{escape(clip(str(rehearsal['error']), 600))}```"
    elif rehearsal.get("reason"):
        line += f" — {escape(clip(str(rehearsal['reason']), 200))}"
    return section(line)


def _actions(run: Run) -> dict[str, Any]:
    """The buttons carry the plan id (not the run id): a click on this card decides on exactly
    the plan it shows, and is refused once a re-diff has replaced it."""
    review = run.data.get("review") or {}
    verdict = review.get("verdict")
    plan = run.plan_id or run.id
    count = (run.data.get("diff") or {}).get("statement_count", 0)
    approve_confirm = None
    if verdict != "DESTRUCTIVE":  # DESTRUCTIVE opens a modal instead (type the target's name)
        approve_confirm = (
            "Approve and apply?",
            f"Apply {count} statement(s) to {run.target}. {destructive_summary(run, limit=200)}",
            "Approve",
        )
    approve = button("Approve", ids.ACTION_APPROVE, plan, style="primary", confirm=approve_confirm)
    return {
        "type": "actions",
        "block_id": ids.BLOCK_CARD_ACTIONS,
        "elements": [
            *([] if review.get("unappliable") else [approve]),
            button("Reject", ids.ACTION_REJECT, plan, style="danger"),
            button("Defer", ids.ACTION_DEFER, plan),
        ],
    }


def _decided_section(decisions: Sequence[Decision], *, superseded: bool) -> dict[str, Any]:
    if superseded:
        text = ":recycle: This review was superseded by a fresh diff (see the newer card)."
    else:
        lines = []
        for d in decisions:
            who, when = mention(d.user_id), slack_date(d.created_at)
            line = f"*{escape(d.decision.capitalize())}* by {who} {when}"
            if d.reason:
                line += f": _{escape(clip(d.reason, 400))}_"
            lines.append(line)
        text = "\n".join(lines) or "Decided."
    return section(text, block_id=ids.BLOCK_CARD_DECISION)


def _plan_name(run: Run) -> str:
    return f"plan {run.plan_id}" if run.plan_id else f"run {run.id}"


def review_card(
    run: Run,
    *,
    decisions: Sequence[Decision] = (),
    closed: bool = False,
    superseded: bool = False,
) -> Message:
    """The card for ``run`` (awaiting review). ``decisions`` are shown; when ``closed`` (or
    ``superseded``) they replace the buttons."""
    if superseded:  # the old plan's details would now be wrong: say only where to look
        return Message(
            text=f"Review of run {run.id} superseded by a fresh diff",
            blocks=[
                {"type": "header", "text": plain(f"Review: align {run.target} ({run.id})", 150)},
                _decided_section(decisions, superseded=True),
            ],
        )
    data = run.data
    diff = data.get("diff") or {}
    review = data.get("review") or {}
    verdict = str(review.get("verdict") or "UNKNOWN")
    count = int(diff.get("statement_count") or 0)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(f"Review: align {run.target} ({_plan_name(run)})", 150)},
        section(
            f"{_VERDICT_EMOJI.get(verdict, ':grey_question:')} *{escape(verdict)}* · "
            f"{count:,} statement{'s' * (count != 1)} · target `{escape(run.target)}` · "
            f"requested by {mention(run.requested_by)}"
            + (
                f"\nApproval expires {slack_date(run.approval_expires_at)}"
                if run.approval_expires_at
                else ""
            )
        ),
    ]
    if review.get("unappliable"):
        reasons = _bullets(review["unappliable"], budget=1500, more="… and {n} more")
        blocks.append(section(f":no_entry: *This plan cannot be applied as is*\n{reasons}"))
    blocks += _findings_sections(review)
    changes = _changes_by_table(diff.get("changes") or [])
    if changes:
        body = _bullets(changes, budget=2000, more="… and {n} more tables")
        blocks.append(section(f"*Changes by table*\n{body}"))
    warning = (data.get("lock_budget") or {}).get("warning")
    if warning:
        blocks.append(section(f":warning: *Lock table*\n{escape(clip(str(warning), 600))}"))
    for extra in (_impact_section(review), _rehearsal_section(data.get("rehearsal") or {})):
        if extra is not None:
            blocks.append(extra)
    preview, total = sql_preview(run.sql_text or "")
    if preview:
        blocks.append(section(f"```{escape(preview)}```"))
    shown = min(total, len(preview.splitlines()))
    folded = review.get("folded") or []
    blocks.append(
        context(
            f"Plan `{escape(run.plan_id or '?')}` · SQL: showing {shown} of {total:,} lines "
            f"(full script in the thread) · sha256 `{escape(run.sql_sha256 or '?')}`"
            + (
                f" · BEGIN/COMMIT of the script (statement {', '.join(map(str, folded[:10]))}) "
                "folded into the one apply transaction"
                if folded
                else ""
            )
        )
    )
    if closed or superseded:
        blocks.append(_decided_section(decisions, superseded=superseded))
    else:
        pending = [d for d in decisions if d.decision == "approved"]
        if pending:
            who = ", ".join(mention(d.user_id) for d in pending)
            blocks.append(section(f":hourglass: Approved by {who}; a second approver is needed."))
        blocks.append(_actions(run))
    text = f"Review needed: align {run.target} {_plan_name(run)} — {verdict}, {count} statements"
    return Message(text=clip(text, 300), blocks=blocks)

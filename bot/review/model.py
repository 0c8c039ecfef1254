"""The analyzer's result: a Review of ReviewedStatements, plus optional Impact estimates.

Pure data with a JSON form (``Review.to_json``), whose shape is documented for users in the README
("align review --json"). The seed report's "Destructive Changes Identified" checkboxes are filled
from ``destructive_categories``.

Two questions beyond the tiers are answered here for the gate and the card: ``Review.is_empty``
(nothing to apply: no statement, or only folded BEGIN/COMMIT; shown as the verdict ``EMPTY``,
never as SAFE) and ``Review.unappliable`` (one reason per statement the one apply transaction
cannot run: forbidden transaction control, psql meta-commands, NULs; empty when it can apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.review.hazards import Code, Finding, Hazard, Tier, TxnControl

__all__ = ["Impact", "Review", "ReviewedStatement", "destructive_categories"]


@dataclass(frozen=True, slots=True)
class Impact:
    """What a statement would touch in a real database (from ``impact.estimate_impact``).

    ``kind`` is one of: rows, size, non_null, violations, rows_affected, enum_values_in_use,
    dependents, fills, skipped, error. ``exact`` is False for planner estimates; ``capped``
    means the true count is at least ``count`` (the query stopped early on purpose).
    """

    statement_index: int
    object: str
    kind: str
    text: str
    count: int | None = None
    exact: bool | None = None
    capped: bool = False
    bytes: int | None = None
    values: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "object": self.object,
            "kind": self.kind,
            "text": self.text,
            "count": self.count,
            "exact": self.exact,
            "capped": self.capped,
            "bytes": self.bytes,
            "values": list(self.values),
        }


@dataclass(frozen=True, slots=True)
class ReviewedStatement:
    """One statement as reviewed. ``txn_control`` says what the apply does with transaction
    control (FOLD: skipped, the apply transaction stands in; FORBIDDEN: the plan cannot apply);
    ``unappliable_reason`` is set when this statement makes the whole plan unappliable."""

    index: int
    line: int
    sql: str
    kind: str
    objects: tuple[str, ...]
    findings: tuple[Finding, ...]
    hazards: tuple[Hazard, ...]
    transactional: bool
    in_transaction_block: bool = False
    txn_control: TxnControl | None = None
    unappliable_reason: str | None = None
    details: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    impacts: tuple[Impact, ...] = ()

    @property
    def tier(self) -> Tier:
        return max((f.tier for f in self.findings), key=lambda t: t.rank, default=Tier.SAFE)

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "line": self.line,
            "kind": self.kind,
            "objects": list(self.objects),
            "tier": str(self.tier),
            "transactional": self.transactional,
            "txn_control": str(self.txn_control) if self.txn_control else None,
            "unappliable_reason": self.unappliable_reason,
            "sql": self.sql,
            "findings": [f.to_json() for f in self.findings],
            "hazards": [h.to_json() for h in self.hazards],
            "impacts": [i.to_json() for i in self.impacts],
        }


@dataclass(frozen=True, slots=True)
class Review:
    """The analyzer's verdict on a script. ``notes`` are remarks about the input itself (a byte
    order mark that was stripped), shown with the verdict."""

    statements: tuple[ReviewedStatement, ...]
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        """Every finding, most severe first, then in script order."""
        found = [f for s in self.statements for f in s.findings]
        return sorted(found, key=lambda f: (-f.tier.rank, f.statement_index))

    @property
    def verdict(self) -> Tier:
        return max((s.tier for s in self.statements), key=lambda t: t.rank, default=Tier.SAFE)

    @property
    def is_empty(self) -> bool:
        """Nothing would be applied: no statements, or only BEGIN/COMMIT the apply folds."""
        return all(s.txn_control is TxnControl.FOLD for s in self.statements)

    @property
    def verdict_label(self) -> str:
        """The verdict as shown to people: ``EMPTY`` for an empty plan, else the tier."""
        return "EMPTY" if self.is_empty else str(self.verdict)

    @property
    def unappliable(self) -> tuple[str, ...]:
        """Why the plan cannot be applied, one reason per offending statement; empty if it can."""
        return tuple(s.unappliable_reason for s in self.statements if s.unappliable_reason)

    @property
    def counts(self) -> dict[str, int]:
        """Statements per tier (a statement counts under its highest finding)."""
        out = {str(t): 0 for t in Tier}
        for stmt in self.statements:
            out[str(stmt.tier)] += 1
        return out

    @property
    def finding_counts(self) -> dict[str, int]:
        out = {str(t): 0 for t in Tier}
        for finding in self.findings:
            out[str(finding.tier)] += 1
        return out

    @property
    def codes(self) -> list[str]:
        return sorted({str(f.code) for s in self.statements for f in s.findings})

    @property
    def impacts(self) -> list[Impact]:
        return [i for s in self.statements for i in s.impacts]

    def with_impact(self, impacts: list[Impact]) -> Review:
        """A copy with ``impacts`` attached to their statements (replacing earlier ones)."""
        by_index: dict[int, list[Impact]] = {}
        for impact in impacts:
            by_index.setdefault(impact.statement_index, []).append(impact)
        statements = tuple(
            replace(s, impacts=tuple(by_index.get(s.index, ()))) for s in self.statements
        )
        return replace(self, statements=statements)

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict_label,
            "empty": self.is_empty,
            "unappliable": list(self.unappliable),
            "notes": list(self.notes),
            "counts": self.counts,
            "finding_counts": self.finding_counts,
            "statement_count": len(self.statements),
            "codes": self.codes,
            "destructive_categories": destructive_categories(self),
            "non_transactional_statements": [
                s.index for s in self.statements if not s.transactional
            ],
            "statements": [s.to_json() for s in self.statements],
        }


_CATEGORY_OF = {
    Code.DROP_TABLE: "DROP TABLE",
    Code.DROP_COLUMN: "DROP COLUMN",
    Code.ALTER_COLUMN_TYPE: "ALTER TYPE",
}


def destructive_categories(review: Review) -> dict[str, list[str]]:
    """The seed report's categories -> objects (tables, or table.column), in script order."""
    out: dict[str, list[str]] = {"DROP TABLE": [], "DROP COLUMN": [], "ALTER TYPE": []}
    for stmt in review.statements:
        for finding in stmt.findings:
            category = _CATEGORY_OF.get(finding.code)
            if category and finding.object not in out[category]:
                out[category].append(finding.object)
    return out

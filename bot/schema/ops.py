"""Statements and plans: the data the differ produces and the renderer fills in.

A ``Statement`` is one SQL command plus what it does to which object, whether it
can lose data, and whether it may run inside a transaction. It also carries the
object keys it drops, creates and requires; ``order.py`` turns those into a graph,
and the parts of it that could run separately (``detachable``) for breaking cycles.
A ``Plan`` is the ordered list plus warnings about things the engine did not do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.schema.model import Key

__all__ = ["Note", "NoteCode", "Statement", "Plan", "RANKS", "Unplanned"]

# Preferred position of each operation when dependencies allow any order: drops of
# dependents first, then drops of what they depended on, then creates in the
# opposite direction. Dependencies always win over this ranking.
_RANK_ORDER = (
    "drop_comment",
    "drop_policy",
    "drop_trigger",
    "drop_view",
    "drop_index",
    "drop_foreign_key",
    "drop_constraint",
    "drop_default",
    "drop_sequence_owner",
    "drop_function",
    "drop_column",
    "drop_table",
    "drop_sequence",
    "drop_domain",
    "drop_type",
    "drop_collation",
    "drop_extension",
    "drop_schema",
    "create_schema",
    "create_extension",
    "alter_extension",
    "create_collation",
    "rename_type",
    "create_type",
    "alter_type",
    "create_domain",
    "alter_domain",
    "create_sequence",
    "alter_sequence",
    "create_function",
    "replace_function",
    "create_table",
    "alter_table",
    "add_column",
    "alter_column",
    "set_default",
    "drop_old_type",
    "add_constraint",
    "validate_constraint",
    "add_foreign_key",
    "create_index",
    "create_view",
    "create_sequence_owner",
    "create_trigger",
    "alter_trigger",
    "create_policy",
    "alter_rls",
    "comment",
)
RANKS: dict[str, int] = {name: i for i, name in enumerate(_RANK_ORDER)}


class NoteCode(StrEnum):
    """What a differ note says (stable strings: they appear in ``--json`` and on the card)."""

    FILL_VALUE = "FILL_VALUE"  # a NOT NULL column added with a fill value for existing rows
    COLUMN_REBUILT = "COLUMN_REBUILT"  # no cast keeps the values: the column is dropped and added
    SEQUENCE_RESTART = "SEQUENCE_RESTART"  # new bounds exclude the current value: RESTART


@dataclass(frozen=True, slots=True)
class Note:
    """A structured remark on one statement, for reviewers: a decision the differ made that
    the SQL alone does not explain (which value fills existing rows, why a column is rebuilt).
    ``table`` is the qualified table whose rows it concerns; ``value`` the SQL of a fill value."""

    code: NoteCode
    object: str
    message: str
    table: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "code": str(self.code),
            "object": self.object,
            "message": self.message,
            "table": self.table,
            "value": self.value,
        }


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL command of a plan (without the trailing semicolon)."""

    sql: str
    object: str
    operation: str
    destructive: bool = False
    transactional: bool = True
    drops: frozenset[Key] = field(default=frozenset(), compare=False, repr=False)
    creates: frozenset[Key] = field(default=frozenset(), compare=False, repr=False)
    requires: frozenset[Key] = field(default=frozenset(), compare=False, repr=False)
    notes: tuple[Note, ...] = field(default=(), compare=False, repr=False)
    # Parts PostgreSQL also lets run on their own, before this statement (a table's foreign
    # key, a sequence's old owner): ``cycles`` splits one out when ordering needs it.
    detachable: tuple[Statement, ...] = field(default=(), compare=False, repr=False)

    @property
    def rank(self) -> int:
        return RANKS.get(self.operation, len(RANKS))

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "sql": self.sql,
            "object": self.object,
            "operation": self.operation,
            "destructive": self.destructive,
            "transactional": self.transactional,
        }
        if self.notes:
            out["notes"] = [n.to_dict() for n in self.notes]
        return out


@dataclass(frozen=True, slots=True)
class Unplanned:
    """A difference the differ found but cannot plan (an extension version with no update
    path, a collation redefined under the columns that use it): the statements do not make
    the two schemas equal. Its text goes to ``Plan.unplanned``."""

    kind: str
    identity: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} {self.identity}: {self.reason}"


@dataclass(slots=True)
class Plan:
    """Ordered statements that turn the old schema into the new one."""

    statements: list[Statement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Objects of a kind the engine cannot plan that exist on one side only, and differences the
    # differ found but cannot plan (``Unplanned``): the statements do not make the two schemas
    # equal, so nothing may call them in sync.
    unplanned: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.statements

    @property
    def complete(self) -> bool:
        return not self.unplanned

    @property
    def sql(self) -> str:
        """The whole script; same inputs give the same bytes."""
        return "".join(f"{s.sql};\n\n" for s in self.statements).rstrip("\n") + (
            "\n" if self.statements else ""
        )

    @property
    def destructive(self) -> bool:
        return any(s.destructive for s in self.statements)

    @property
    def notes(self) -> list[tuple[int, Note]]:
        """Every statement note with the index of its statement in ``statements``."""
        return [(i, n) for i, s in enumerate(self.statements) for n in s.notes]

    def to_dict(self) -> dict[str, object]:
        return {
            "statements": [s.to_dict() for s in self.statements],
            "warnings": list(self.warnings),
            "unplanned": list(self.unplanned),
        }

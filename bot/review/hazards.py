"""The closed vocabulary of the SQL review: tiers, finding codes, lock levels and hazards.

Codes are stable UPPER_SNAKE strings that appear verbatim in Slack, the report, logs and the
``--json`` output, so a code is never renamed; new ones are appended. Each code belongs to exactly
one tier (``TIER_OF``); a review's verdict is the highest tier among its findings.

Findings answer "should a human look at this?"; hazards answer "what will this do to a running
database?" (locks, rewrites, scans). A statement can have hazards and no finding (an index on a
table created in the same script takes a lock nobody else is waiting on).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "TIER_OF",
    "Code",
    "Finding",
    "Hazard",
    "HazardKind",
    "LockLevel",
    "Tier",
    "TxnControl",
]


class Tier(StrEnum):
    """Review tiers, lowest first; ``rank`` gives the order (the verdict is the maximum)."""

    SAFE = "SAFE"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    DESTRUCTIVE = "DESTRUCTIVE"

    @property
    def rank(self) -> int:
        return _TIER_RANK[self]


_TIER_RANK = {Tier.SAFE: 0, Tier.NEEDS_ATTENTION: 1, Tier.DESTRUCTIVE: 2}


class Code(StrEnum):
    """Every finding code the analyzer can produce."""

    # DESTRUCTIVE: data or objects are lost, or the seed's "Destructive Changes" categories.
    DROP_TABLE = "DROP_TABLE"
    DROP_COLUMN = "DROP_COLUMN"
    ALTER_COLUMN_TYPE = "ALTER_COLUMN_TYPE"
    ENUM_TYPE_SWAP = "ENUM_TYPE_SWAP"
    DROP_SCHEMA = "DROP_SCHEMA"
    DROP_TYPE = "DROP_TYPE"
    DROP_VIEW = "DROP_VIEW"
    DROP_MATERIALIZED_VIEW = "DROP_MATERIALIZED_VIEW"
    DROP_FUNCTION = "DROP_FUNCTION"
    DROP_PROCEDURE = "DROP_PROCEDURE"
    DROP_SEQUENCE = "DROP_SEQUENCE"
    DROP_DATABASE = "DROP_DATABASE"
    DROP_OBJECT = "DROP_OBJECT"
    TRUNCATE = "TRUNCATE"
    DELETE_ROWS = "DELETE_ROWS"
    UPDATE_ROWS = "UPDATE_ROWS"
    CASCADE = "CASCADE"
    # NEEDS_ATTENTION: may fail on existing data, breaks running code, or locks heavily.
    SET_NOT_NULL = "SET_NOT_NULL"
    ADD_COLUMN_NOT_NULL_NO_DEFAULT = "ADD_COLUMN_NOT_NULL_NO_DEFAULT"
    ADD_COLUMN_VOLATILE_DEFAULT = "ADD_COLUMN_VOLATILE_DEFAULT"
    ADD_CHECK_CONSTRAINT = "ADD_CHECK_CONSTRAINT"
    ADD_UNIQUE_CONSTRAINT = "ADD_UNIQUE_CONSTRAINT"
    ADD_PRIMARY_KEY = "ADD_PRIMARY_KEY"
    ADD_FOREIGN_KEY = "ADD_FOREIGN_KEY"
    ADD_EXCLUSION_CONSTRAINT = "ADD_EXCLUSION_CONSTRAINT"
    INDEX_BLOCKS_WRITES = "INDEX_BLOCKS_WRITES"
    UNIQUE_INDEX_BLOCKS_WRITES = "UNIQUE_INDEX_BLOCKS_WRITES"
    TABLE_REWRITE = "TABLE_REWRITE"
    RENAME_TABLE = "RENAME_TABLE"
    RENAME_COLUMN = "RENAME_COLUMN"
    RENAME_ENUM_VALUE = "RENAME_ENUM_VALUE"
    RENAME_OBJECT = "RENAME_OBJECT"
    DROP_INDEX = "DROP_INDEX"
    DROP_CONSTRAINT = "DROP_CONSTRAINT"
    DROP_DEFAULT = "DROP_DEFAULT"
    DETACH_PARTITION = "DETACH_PARTITION"
    NON_TRANSACTIONAL = "NON_TRANSACTIONAL"
    OPAQUE_CODE = "OPAQUE_CODE"
    UNPARSED = "UNPARSED"
    PSQL_META_COMMAND = "PSQL_META_COMMAND"
    TRANSACTION_CONTROL = "TRANSACTION_CONTROL"
    FILL_EXISTING_ROWS = "FILL_EXISTING_ROWS"
    SEQUENCE_RESTART = "SEQUENCE_RESTART"

    @property
    def tier(self) -> Tier:
        return TIER_OF[self]


_DESTRUCTIVE = {
    Code.DROP_TABLE,
    Code.DROP_COLUMN,
    Code.ALTER_COLUMN_TYPE,
    Code.ENUM_TYPE_SWAP,
    Code.DROP_SCHEMA,
    Code.DROP_TYPE,
    Code.DROP_VIEW,
    Code.DROP_MATERIALIZED_VIEW,
    Code.DROP_FUNCTION,
    Code.DROP_PROCEDURE,
    Code.DROP_SEQUENCE,
    Code.DROP_DATABASE,
    Code.DROP_OBJECT,
    Code.TRUNCATE,
    Code.DELETE_ROWS,
    Code.UPDATE_ROWS,
    Code.CASCADE,
}

TIER_OF: dict[Code, Tier] = {
    code: Tier.DESTRUCTIVE if code in _DESTRUCTIVE else Tier.NEEDS_ATTENTION for code in Code
}


class TxnControl(StrEnum):
    """What the apply does with a transaction-control statement (``ReviewedStatement.txn_control``).

    FOLD: a bare BEGIN/COMMIT (Prisma wraps enum swaps in them); the one apply transaction takes
    its place, so it is not executed. FORBIDDEN: it would end, split, undo or reconfigure the apply
    transaction (ROLLBACK, COMMIT AND CHAIN, SAVEPOINT, PREPARE TRANSACTION, SET TRANSACTION, ...);
    the plan cannot be applied while it is there.
    """

    FOLD = "fold"
    FORBIDDEN = "forbidden"


class LockLevel(StrEnum):
    """PostgreSQL table lock modes, weakest first (the values are the documented names)."""

    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def rank(self) -> int:
        return _LOCK_RANK[self]

    @property
    def blocks(self) -> str:
        """What other sessions cannot do while the lock is held (plain words for the card)."""
        if self is LockLevel.ACCESS_EXCLUSIVE:
            return "blocks all reads and writes"
        if self.rank >= LockLevel.SHARE.rank:
            return "blocks writes"
        if self is LockLevel.SHARE_UPDATE_EXCLUSIVE:
            return "blocks other schema changes and VACUUM"
        return "blocks only schema changes"


_LOCK_RANK = {level: n for n, level in enumerate(LockLevel)}


class HazardKind(StrEnum):
    LOCK = "LOCK"
    TABLE_REWRITE = "TABLE_REWRITE"
    FULL_SCAN = "FULL_SCAN"
    INDEX_BUILD = "INDEX_BUILD"
    NON_TRANSACTIONAL = "NON_TRANSACTIONAL"


@dataclass(frozen=True, slots=True)
class Hazard:
    """An operational effect of one statement on a relation (``relation`` is schema-qualified)."""

    kind: HazardKind
    relation: str | None
    message: str
    lock: LockLevel | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "relation": self.relation,
            "lock": str(self.lock) if self.lock else None,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a statement needs a human: a stable code, where, what happens, what to do."""

    code: Code
    statement_index: int
    line: int
    object: str
    message: str
    suggestion: str | None = None

    @property
    def tier(self) -> Tier:
        return TIER_OF[self.code]

    def to_json(self) -> dict[str, object]:
        return {
            "code": str(self.code),
            "tier": str(self.tier),
            "statement_index": self.statement_index,
            "line": self.line,
            "object": self.object,
            "message": self.message,
            "suggestion": self.suggestion,
        }

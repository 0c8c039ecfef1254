"""Lock-table capacity: will the plan's one transaction fit in the server's lock table?

Every object a transaction locks (each table, index, sequence, type it creates, alters or drops)
takes a slot in a shared lock table until COMMIT. PostgreSQL sizes that table as
``max_locks_per_transaction × (max_connections + max_prepared_transactions)`` slots, shared by
all sessions; a plan that needs more fails part-way with the unhelpful ``out of shared memory``
(a 10,000-statement plan stops near statement 5,800 on default settings). The bot applies the
whole plan as one transaction, so it checks before anyone approves: the review card warns when
the plan needs more slots than production has, and an apply or rehearsal that runs out says so
in these words instead of "out of shared memory".

How many slots a plan needs: measured in the rehearsal (``pg_locks`` of its own transaction just
before the rollback) when there is one, else at least one per object the plan names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.review.model import Review

__all__ = [
    "CAPACITY_SQL",
    "LockCapacity",
    "estimate_locks",
    "is_out_of_locks",
    "lock_budget",
    "locks_held",
    "out_of_locks_message",
    "read_capacity",
]

CAPACITY_SQL = """SELECT current_setting('max_locks_per_transaction')::int AS per_transaction,
                         current_setting('max_connections')::int AS connections,
                         current_setting('max_prepared_transactions')::int AS prepared"""
HELD_SQL = "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
OUT_OF_MEMORY = "53200"
# Above this share of the table the plan may still fail: other sessions use slots too.
CROWDED_SHARE = 0.5


@dataclass(frozen=True)
class LockCapacity:
    """The three settings that size a server's lock table."""

    per_transaction: int
    connections: int
    prepared: int

    @property
    def slots(self) -> int:
        return self.per_transaction * (self.connections + self.prepared)

    def formula(self) -> str:
        return (
            "max_locks_per_transaction × (max_connections + max_prepared_transactions) = "
            f"{self.per_transaction} × ({self.connections} + {self.prepared}) = {self.slots:,}"
        )

    def to_json(self) -> dict[str, int]:
        return {
            "max_locks_per_transaction": self.per_transaction,
            "max_connections": self.connections,
            "max_prepared_transactions": self.prepared,
            "slots": self.slots,
        }


async def read_capacity(conn: asyncpg.Connection) -> LockCapacity:
    row = await conn.fetchrow(CAPACITY_SQL)
    assert row is not None
    return LockCapacity(row["per_transaction"], row["connections"], row["prepared"])


async def locks_held(conn: asyncpg.Connection) -> int:
    """Lock slots this session's transaction holds now (fast-path ones included: an
    over-count of at most 16)."""
    return int(await conn.fetchval(HELD_SQL))


def is_out_of_locks(exc: BaseException) -> bool:
    """The server's answer when the lock table is full: SQLSTATE 53200, "out of shared memory",
    with a hint naming max_locks_per_transaction."""
    if not isinstance(exc, asyncpg.PostgresError):
        return False
    text = f"{exc} {getattr(exc, 'hint', '') or ''}"
    return getattr(exc, "sqlstate", None) == OUT_OF_MEMORY and (
        "max_locks_per_transaction" in text or "shared memory" in text
    )


def out_of_locks_message(index: int, capacity: LockCapacity | None) -> str:
    where = f"the server allows {capacity.formula()} lock slots, " if capacity else ""
    return (
        f"statement {index} failed: the plan needs more locks than the server allows in one "
        f"transaction ({where}shared by all sessions; PostgreSQL said 'out of shared memory'). "
        "Raise max_locks_per_transaction (a server restart) or split the plan into smaller ones"
    )


def estimate_locks(review: Review) -> int:
    """At least one slot per distinct object the plan's statements name (creating a table with
    a key and a sequence takes several): a floor, used when no rehearsal measured it."""
    return len({obj for stmt in review.statements for obj in stmt.objects})


def lock_budget(*, needed: int, measured: bool, capacity: LockCapacity) -> dict[str, Any]:
    """The record kept on the run (``run.data["lock_budget"]``) and shown on the review card:
    how many slots the plan needs, how many production has, and a warning when it will not fit
    (or will fill more than half the table other sessions share)."""
    how = "measured in the rehearsal" if measured else "at least, one per object the plan names"
    warning = None
    if needed > capacity.slots:
        warning = (
            f"this plan needs about {needed:,} lock slots ({how}) but production allows "
            f"{capacity.formula()}: the apply will fail part-way with 'out of shared memory'. "
            "Raise max_locks_per_transaction or split the plan"
        )
    elif needed > capacity.slots * CROWDED_SHARE:
        warning = (
            f"this plan needs about {needed:,} lock slots ({how}), more than half of "
            f"production's {capacity.formula()}; with other sessions busy the apply may fail "
            "with 'out of shared memory'"
        )
    return {
        "needed": needed,
        "measured": measured,
        "capacity": capacity.to_json(),
        "warning": warning,
    }

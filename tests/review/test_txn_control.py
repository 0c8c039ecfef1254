"""Transaction control in a plan: folded into the one apply transaction, or the plan is unappliable.

Written as the attack: each forbidden form would end, split, undo or reconfigure the apply
transaction if it ran inside it. No database needed: this is the analyzer's half.
"""

from __future__ import annotations

import pytest

from bot.review import Tier, analyze
from bot.review.hazards import TxnControl

FORBIDDEN = [
    "ROLLBACK",
    "ROLLBACK WORK",
    "ROLLBACK TRANSACTION",
    "ROLLBACK AND CHAIN",
    "ROLLBACK AND NO CHAIN",
    "ABORT",
    "ABORT WORK",
    "COMMIT AND CHAIN",
    "COMMIT WORK AND CHAIN",
    "END AND CHAIN",
    "END TRANSACTION AND CHAIN",
    "commit /* looks bare */ and -- still chained\n chain",
    "SAVEPOINT before_swap",
    "RELEASE before_swap",
    "RELEASE SAVEPOINT before_swap",
    "ROLLBACK TO before_swap",
    "ROLLBACK TO SAVEPOINT before_swap",
    "ROLLBACK WORK TO SAVEPOINT before_swap",
    "PREPARE TRANSACTION 'align'",
    "COMMIT PREPARED 'align'",
    "ROLLBACK PREPARED 'align'",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SET TRANSACTION READ ONLY",
    "SET TRANSACTION SNAPSHOT '00000003-0000001B-1'",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "SET transaction_read_only = on",
    "SET LOCAL transaction_isolation = 'serializable'",
    "BEGIN ISOLATION LEVEL SERIALIZABLE",
    "BEGIN TRANSACTION READ ONLY",
    "BEGIN WORK READ WRITE",
    "START TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "START TRANSACTION READ ONLY",
    "START TRANSACTION DEFERRABLE",
]

FOLDED = [
    "BEGIN",
    "BEGIN WORK",
    "BEGIN TRANSACTION",
    "START TRANSACTION",
    "COMMIT",
    "COMMIT WORK",
    "COMMIT TRANSACTION",
    "COMMIT AND NO CHAIN",
    "END",
    "END WORK",
    "END TRANSACTION",
    "begin;  -- lower case, trailing comment",
]


@pytest.mark.parametrize("stmt", FORBIDDEN)
def test_forbidden_transaction_control_makes_the_plan_unappliable(stmt: str) -> None:
    sql = f"ALTER TABLE a ADD COLUMN b int;\n{stmt};\nALTER TABLE a ADD COLUMN c int;\n"
    review = analyze(sql)
    first, control, last = review.statements
    assert control.txn_control is TxnControl.FORBIDDEN
    assert control.to_json()["txn_control"] == "forbidden"
    assert [str(f.code) for f in control.findings] == ["TRANSACTION_CONTROL"]
    assert control.tier is Tier.NEEDS_ATTENTION
    assert first.txn_control is None and last.txn_control is None
    assert len(review.unappliable) == 1
    assert review.unappliable[0].startswith("statement 2 (")
    assert review.unappliable[0].endswith(") cannot run inside the one apply transaction")
    assert review.to_json()["unappliable"] == list(review.unappliable)
    assert not review.is_empty


@pytest.mark.parametrize("stmt", FOLDED)
def test_bare_begin_and_commit_fold_into_the_apply_transaction(stmt: str) -> None:
    review = analyze(f"{stmt}\n;\nALTER TABLE a ADD COLUMN b int;")
    control = review.statements[0]
    assert control.txn_control is TxnControl.FOLD
    assert control.to_json()["txn_control"] == "fold"
    assert control.findings == ()
    assert review.unappliable == ()
    assert review.verdict is Tier.SAFE and not review.is_empty


def test_prisma_enum_swap_block_folds_and_stays_appliable() -> None:
    sql = (
        "BEGIN;\n"
        "CREATE TYPE \"Role_new\" AS ENUM ('USER', 'ADMIN');\n"
        'ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");\n'
        'ALTER TYPE "Role" RENAME TO "Role_old";\n'
        'ALTER TYPE "Role_new" RENAME TO "Role";\n'
        'DROP TYPE "Role_old";\n'
        "COMMIT;\n"
    )
    review = analyze(sql)
    assert [s.txn_control for s in review.statements] == [TxnControl.FOLD, *[None] * 5, "fold"]
    assert review.unappliable == ()
    assert review.to_json()["statement_count"] == 7  # folded statements still count
    assert review.verdict is Tier.DESTRUCTIVE


def test_only_begin_and_commit_is_an_empty_plan() -> None:
    review = analyze("BEGIN;\n-- nothing here\nCOMMIT;")
    assert review.is_empty and review.verdict_label == "EMPTY"
    assert review.unappliable == ()


def test_early_rollback_inside_a_prisma_block_is_found_among_folded_statements() -> None:
    review = analyze("BEGIN;\nDROP TABLE a;\nROLLBACK;\nDROP TABLE b;\nCOMMIT;")
    assert [s.txn_control for s in review.statements] == [
        "fold",
        None,
        "forbidden",
        None,
        "fold",
    ]
    assert review.unappliable == (
        "statement 3 (ROLLBACK) cannot run inside the one apply transaction",
    )


def test_other_set_statements_are_not_transaction_control() -> None:
    review = analyze("SET search_path = app;\nSET LOCAL work_mem = '64MB';")
    assert [s.txn_control for s in review.statements] == [None, None]
    assert review.unappliable == ()


@pytest.mark.parametrize(
    "sql",
    ["SET statement_timeout = 0", "SET LOCAL lock_timeout = '1h'", "RESET statement_timeout",
     "SET SESSION idle_in_transaction_session_timeout = 0"],
)  # fmt: skip
def test_setting_the_apply_timeouts_makes_the_plan_unappliable(sql: str) -> None:
    review = analyze(f"{sql};\nALTER TABLE users ADD COLUMN c int;")
    assert review.statements[0].txn_control is TxnControl.FORBIDDEN
    assert "TRANSACTION_CONTROL" in [f.code for f in review.findings]
    assert "one of the apply's own timeouts" in review.findings[0].message
    assert len(review.unappliable) == 1


def test_text_output_shows_folded_statements() -> None:
    from bot.review.render import render_review_text

    out = render_review_text(analyze("BEGIN;\nALTER TABLE a ADD COLUMN b int;\nCOMMIT;"))
    assert "folded into the apply transaction (not run): #1 BEGIN, #3 COMMIT" in out
    assert "CANNOT BE APPLIED" not in out

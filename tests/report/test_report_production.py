"""What production has after a failed apply, as the report says it (pure: no database).

The judgement (bot/workflow/production.py) is a table of facts → word; the report must never
claim a rollback the run did not record, and must say plainly what production has."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.report import build_report, render_markdown
from bot.secrets import Masker
from bot.store.records import Run, StepRecord
from bot.workflow.production import Production, Transaction, judge_production
from bot.workflow.run import RunState

T = datetime(2026, 11, 24, 14, 3, 5, tzinfo=UTC)
BEFORE, AFTER = "a" * 64, "b" * 64
REMAINING = {"in_sync": False, "remaining": ["CREATE INDEX i ON t (c);", "DROP TABLE old;"]}


@pytest.mark.parametrize(
    ("transaction", "now", "verify", "expected", "words"),
    [
        (Transaction.ROLLED_BACK, BEFORE, REMAINING, Production.UNCHANGED, "rolled back"),
        (Transaction.NOT_STARTED, BEFORE, REMAINING, Production.UNCHANGED, "nothing of the plan"),
        (None, BEFORE, REMAINING, Production.UNCHANGED, "left the schema as it found it"),
        (None, AFTER, REMAINING, Production.PARTIALLY_CHANGED, "2 statements still needed"),
        (None, AFTER, {"in_sync": True}, Production.CHANGED, "every change of the plan"),
        (
            None,
            AFTER,
            {"in_sync": False, "command_exit_code": 2},
            Production.PARTIALLY_CHANGED,
            "verify command reports differences",
        ),
        (
            None,
            AFTER,
            {"in_sync": False, "note": "nothing could judge"},
            Production.UNKNOWN,
            "nothing could judge",
        ),
        (
            Transaction.UNKNOWN,
            BEFORE,
            REMAINING,
            Production.UNKNOWN,
            "the outcome of COMMIT is unknown",
        ),
        (Transaction.UNKNOWN, AFTER, {"in_sync": True}, Production.CHANGED, "it took effect"),
        (
            Transaction.ROLLED_BACK,
            AFTER,
            REMAINING,
            Production.CHANGED,
            "something other than this run",
        ),
        (Transaction.COMMITTED, AFTER, REMAINING, Production.PARTIALLY_CHANGED, "still needed"),
        (Transaction.ROLLED_BACK, None, None, Production.UNKNOWN, "could not be read"),
    ],
)
def test_judge_production_says_what_production_has(
    transaction: Transaction | None,
    now: str | None,
    verify: dict[str, Any] | None,
    expected: Production,
    words: str,
) -> None:
    judged = judge_production(
        transaction=transaction,
        fingerprint_before=BEFORE,
        fingerprint_now=now,
        unreadable="connection refused" if now is None else None,
        verify=verify,
    )
    assert judged.production is expected, judged.detail
    assert words in judged.detail


def test_judge_production_never_says_rolled_back_for_a_command_or_an_unknown_commit() -> None:
    for transaction in (None, Transaction.UNKNOWN, Transaction.COMMITTED):
        for now in (BEFORE, AFTER):
            judged = judge_production(
                transaction=transaction,
                fingerprint_before=BEFORE,
                fingerprint_now=now,
                verify=REMAINING,
            )
            assert "rolled back" not in judged.detail, (transaction, now)


def _failed_run(apply: dict[str, Any]) -> tuple[Run, list[StepRecord]]:
    run = Run(
        id="20261124-bbbbbb",
        target="prod",
        mode="commands",
        state=RunState.FAILED,
        requested_by="alice",
        requested_via="cli",
        created_at=T,
        updated_at=T,
        finished_at=T,
        error=apply["error"],
        outcome="OUT OF SYNC",
        data={"apply": apply, "verify": REMAINING},
    )  # type: ignore[call-arg]
    step = StepRecord(run.id, "apply", 1, "failed", T, T, 1, apply["error"], apply)
    return run, [step]


def test_report_failed_command_apply_says_partially_changed_and_never_rolled_back() -> None:
    judged = judge_production(
        transaction=None, fingerprint_before=BEFORE, fingerprint_now=AFTER, verify=REMAINING
    )
    run, steps = _failed_run(
        {
            "command": "sh scripts/apply.sh",
            "exit_code": 1,
            "error": "`sh scripts/apply.sh` failed (exit 1)",
            "failed_statement_index": None,
            **judged.to_json(),
        }
    )
    text = render_markdown(build_report(run, steps=steps, masker=Masker(), generated_at=T))
    assert "rolled back" not in text
    assert "**Production after the failure:** PARTIALLY CHANGED" in text
    assert "CREATE INDEX i ON t (c);" in text
    assert "production PARTIALLY CHANGED" in text  # the status line
    assert "No recovery action has been recorded yet" in text


def test_report_failed_builtin_apply_that_rolled_back_says_unchanged_and_no_recovery() -> None:
    judged = judge_production(
        transaction=Transaction.ROLLED_BACK,
        fingerprint_before=BEFORE,
        fingerprint_now=BEFORE,
        verify=REMAINING,
    )
    run, steps = _failed_run(
        {
            "command": "built-in transactional apply",
            "transaction": "rolled back",
            "error": "statement 2 failed: boom",
            "failed_statement_index": 2,
            "statements_total": 2,
            "statements_applied": 0,
            **judged.to_json(),
        }
    )
    text = render_markdown(build_report(run, steps=steps, masker=Masker(), generated_at=T))
    assert "failed at statement 2; the transaction was rolled back" in text
    assert "**Production after the failure:** UNCHANGED" in text
    assert "- [x] No recovery needed" in text
    assert "None: apply failed and production is unchanged" in text


def test_report_failed_apply_without_recorded_transaction_claims_no_rollback() -> None:
    # A run recorded before production was judged (older bot): nothing claimed either way.
    run, steps = _failed_run(
        {"command": "sh scripts/apply.sh", "exit_code": 1, "error": "failed (exit 1)"}
    )
    text = render_markdown(build_report(run, steps=steps, masker=Masker(), generated_at=T))
    assert "rolled back" not in text
    assert "Unknown: apply failed; Verification shows what production still lacks." in text

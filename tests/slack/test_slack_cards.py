"""Pure builders: the review card, the run message and the modals stay inside Block Kit's limits
whatever they are fed (no event loop, no Slack)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.slack import ids, modals
from bot.slack.review_card import review_card
from bot.slack.run_message import RunView, run_message
from bot.store.records import Decision, Run, StepRecord
from bot.workflow.run import RunState
from tests.slackkit import block_problems, view_problems

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _huge_run(n: int = 5000) -> Run:
    sql = "\n".join(
        f"ALTER TABLE public.t{i % 700} DROP COLUMN c{i} /* <&> {'x' * 80} */;" for i in range(n)
    )
    changes = [
        {
            "object": f"public.t{i % 700}.c{i}",
            "operation": "ALTER TABLE",
            "text": f"drop c{i}",
            "destructive": True,
        }
        for i in range(2000)
    ]
    findings = [
        {
            "code": "DROP_COLUMN" if i % 2 else "TABLE_REWRITE",
            "tier": "DESTRUCTIVE" if i % 2 else "NEEDS_ATTENTION",
            "statement_index": i,
            "line": i + 1,
            "object": f"public.t{i % 700}.c{i} <b>",
            "message": "drops data " * 30,
            "suggestion": None,
        }
        for i in range(500)
    ]
    return Run(
        id="20261124-abcdef",
        target="prod",
        mode="builtin",
        state=RunState.AWAITING_REVIEW,
        requested_by="U0ALICE01",
        requested_via="slack",
        created_at=NOW,
        updated_at=NOW,
        channel="C0OPS0001",
        message_ts="1.2",
        sql_text=sql,
        sql_sha256="ab" * 32,
        approval_expires_at=NOW + timedelta(hours=2),
        data={
            "diff": {"statement_count": n, "changes": changes},
            "review": {
                "verdict": "DESTRUCTIVE",
                "findings": findings,
                "impact": [{"text": f"{i} rows in t{i}"} for i in range(200)],
            },
            "rehearsal": {
                "status": "passed",
                "mode": "full",
                "duration_s": 12.5,
                "statements": [{"index": i, "rows": 10} for i in range(500)],
                "locks": [{"relation": f"t{i}", "mode": "AccessExclusiveLock"} for i in range(200)],
            },
            "snapshot": {"provider": "pg_dump", "status": "available", "id": "s1"},
        },
    )


def _size(blocks: list) -> int:
    return len(json.dumps(blocks))


def test_review_card_5000_statements_is_a_valid_message() -> None:
    card = review_card(_huge_run())
    assert block_problems(card.blocks) == []
    text = " ".join(b.get("text", {}).get("text", "") for b in card.blocks)
    assert len(text) < 12_000 and _size(card.blocks) < 20_000
    assert "5,000" in text and "more tables" in text and "showing" in str(card.blocks)
    assert "<b>" not in text and "&lt;b&gt;" in text
    first = text.index("Destructive")
    assert first < text.index("Hazards") < text.index("Changes by table")
    actions = next(b for b in card.blocks if b.get("block_id") == ids.BLOCK_CARD_ACTIONS)
    assert [e["value"] for e in actions["elements"]] == ["20261124-abcdef"] * 3
    approve = actions["elements"][0]
    assert approve["style"] == "primary" and "confirm" not in approve  # DESTRUCTIVE → modal


def test_review_card_after_decision_replaces_buttons() -> None:
    run = _huge_run(10)
    decision = Decision(
        id=1,
        run_id=run.id,
        decision="rejected",
        user_id="U0BOB0002",
        reason="no <way>",
        sql_sha256=run.sql_sha256,
        prod_fingerprint=None,
        snapshot_id=None,
        git_commit=None,
        remind_at=None,
        created_at=NOW,
    )
    card = review_card(run, decisions=[decision], closed=True)
    assert block_problems(card.blocks) == []
    assert not any(b.get("block_id") == ids.BLOCK_CARD_ACTIONS for b in card.blocks)
    shown = card.blocks[-1]["text"]["text"]
    assert "<@U0BOB0002>" in shown and "no &lt;way&gt;" in shown and "<!date^" in shown


def test_run_message_failed_shows_error_oncall_and_recovery() -> None:
    run = _huge_run(10)
    failed = Run(**{**run.__dict__, "state": RunState.FAILED, "error": "boom <x>" * 2000})
    steps = [
        StepRecord(run.id, "apply", 1, "failed", NOW, NOW + timedelta(seconds=3), None, "tail", {})
    ]
    message = run_message(RunView(run=failed, steps=steps, oncall=("U0ONCALL1", "S0ONCALL1")))
    assert block_problems(message.blocks) == []
    text = str(message.blocks)
    assert "<@U0ONCALL1>" in text and "<!subteam^S0ONCALL1>" in text and "3.0 s" in text
    assert ids.ACTION_RESTORE in text and ids.ACTION_RERUN in text and ids.ACTION_MANUAL in text


def test_run_message_progress_and_outcome() -> None:
    run = _huge_run(10)
    running = [StepRecord(run.id, "apply", 1, "running", NOW, None, None, None, {})]
    applying = Run(**{**run.__dict__, "state": RunState.APPLYING})
    shown = str(run_message(RunView(run=applying, steps=running, progress=(1200, 5000))).blocks)
    assert "1,200/5,000 statements" in shown
    done = Run(
        **{
            **run.__dict__,
            "state": RunState.DONE,
            "outcome": "IN SYNC",
            "finished_at": NOW + timedelta(seconds=75),
            "data": {**run.data, "apply": {"statements_applied": 10}},
        }
    )
    shown = str(run_message(RunView(run=done)).blocks)
    assert "*IN SYNC* · 10 statements applied · 1m 15s" in shown


def test_modals_are_valid_views_and_carry_only_the_run_id() -> None:
    run = _huge_run(10)
    for build in (
        modals.approve_destructive_modal,
        modals.reject_modal,
        modals.defer_modal,
        modals.manual_modal,
    ):
        view = build(run)
        assert view_problems(view) == []
        assert view["private_metadata"] == run.id


def test_review_card_shows_fill_value_and_rows_filled() -> None:
    run = _huge_run(3)
    run.data["review"] = {
        "verdict": "NEEDS_ATTENTION",
        "findings": [
            {
                "code": "FILL_EXISTING_ROWS",
                "tier": "NEEDS_ATTENTION",
                "statement_index": 2,
                "line": 3,
                "object": "public.t.n",
                "message": "public.t.n is NOT NULL without a default: every existing row of "
                "public.t gets the fill value 0",
            },
            {
                "code": "FILL_EXISTING_ROWS",
                "tier": "NEEDS_ATTENTION",
                "statement_index": 4,
                "line": 5,
                "object": "public.u.s",
                "message": "public.u.s … gets the fill value ''",
            },
        ],
        "impact": [{"object": "public.t.n", "kind": "fills", "text": "public.t.n: 3 rows get "
                    "the fill value 0"}],
    }  # fmt: skip
    card = review_card(run)
    assert block_problems(card.blocks) == []
    text = json.dumps(card.blocks)
    assert "Fill values for existing rows" in text
    assert "gets the fill value 0" in text and "3 rows get the fill value 0" in text
    assert "public.u.s: number of rows unknown" in text

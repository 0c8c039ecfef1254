"""Restore from Slack, as the attacks and faults it must survive: the real bot behind its HTTP
endpoint, signed clicks and modal submissions from the driver, the Web API emulator, real
PostgreSQL and pg_dump snapshots.

Run A fails at apply (rolled back; the message says production is unchanged and offers Re-run
first). Run B then applies and the application writes a row. Pressing Restore on A's message —
an old message from before this rule still shows the button — must not wipe B's work unless the
person restoring types B's id in the confirm dialog.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.slack import ids, modals
from bot.slack.run_message import RunView, run_message
from bot.store.records import Run, StepRecord
from bot.workflow.restore_rules import LaterApply, RestoreCheck
from bot.workflow.run import RunState
from tests.slackkit import block_problems, view_problems

from .flow import ALICE, BOB, CAROL, FAILING_DEV, MALLORY, ONCALL, Flow, MakeFlow, block_text
from .flow import make_flow as make_flow

LATER_DEV = """
ALTER TABLE users DROP COLUMN tenant;
ALTER TABLE users ADD COLUMN verified boolean NOT NULL DEFAULT false;
"""


async def _fail_a(flow: Flow):
    run = await flow.start_review()
    await flow.click(ids.ACTION_APPROVE, run.id)
    failed = await flow.wait_state(run.id, RunState.FAILED)
    await flow.settle()
    return failed


async def _then_b_applies(flow: Flow):
    conn = await asyncpg.connect(flow.dev)
    try:
        await conn.execute(LATER_DEV)
    finally:
        await conn.close()
    run = await flow.start_review(user=ALICE)
    await flow.click(ids.ACTION_APPROVE, run.id)
    done = await flow.wait_state(run.id, RunState.DONE, RunState.FAILED)
    assert done.state is RunState.DONE and done.outcome == "IN SYNC", done.error
    await flow.prod_execute(
        "INSERT INTO users (id, email, verified) VALUES (9001, 'later@x', true)"
    )
    await flow.settle()
    return done


async def _b_work_is_there(flow: Flow) -> bool:
    conn = await asyncpg.connect(flow.prod)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM information_schema.columns
                       WHERE table_name = 'users' AND column_name = 'verified') AS col,
                      (SELECT count(*) FROM users WHERE id = 9001) AS written"""
        )
    finally:
        await conn.close()
    return tuple(row) == (1, 1)


def _opened_restore_views(flow: Flow) -> list[dict]:
    views = []
    for call in flow.slack.calls_to("views.open"):
        view = call.args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if isinstance(view, dict) and view.get("callback_id") == ids.VIEW_RESTORE:
            views.append(view)
    return views


def _typed(words: str) -> dict:
    block, action = ids.INPUT_RESTORE_OVERRIDE
    return {block: {action: {"type": "plain_text_input", "value": words}}}


async def test_slack_rolled_back_failure_says_production_unchanged_and_offers_rerun_first(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow(dev=FAILING_DEV, snapshot="pg_dump")
    a = await _fail_a(flow)
    message = await flow.run_message(a.id)
    assert block_problems(message["blocks"]) == []
    text = block_text(message)
    assert "Production unchanged" in text
    [recovery] = [b for b in message["blocks"] if b.get("block_id") == ids.BLOCK_RUN_RECOVERY]
    order = [el["action_id"] for el in recovery["elements"]]
    assert order[0] == ids.ACTION_RERUN
    assert ids.ACTION_RESTORE not in order  # nothing to undo: restoring only loses writes


async def test_slack_restore_over_a_later_applied_run_needs_its_id_typed(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow(dev=FAILING_DEV, snapshot="pg_dump")
    a = await _fail_a(flow)
    b = await _then_b_applies(flow)

    await flow.click(ids.ACTION_RESTORE, a.id, user=MALLORY)  # not a reviewer nor on-call
    await flow.settle()
    assert any("recovery actions are for reviewers" in t for t in flow.ephemerals())
    assert _opened_restore_views(flow) == []

    await flow.click(ids.ACTION_RESTORE, a.id, user=BOB)  # last week's message, still clickable
    await flow.settle()
    [view] = _opened_restore_views(flow)
    assert block_problems(view["blocks"]) == []
    shown = "\n".join(b["text"]["text"] for b in view["blocks"] if b.get("type") == "section")
    assert b.id in shown and "IN SYNC" in shown and "since the snapshot" in shown
    inputs = [blk for blk in view["blocks"] if blk.get("type") == "input"]
    assert inputs and b.id in inputs[0]["label"]["text"]

    for attempt in ("", "restore", a.id):  # nothing, a shrug, the wrong run: dialog stays open
        resp = await flow.submit(ids.VIEW_RESTORE, a.id, _typed(attempt), user=BOB)
        answer = json.loads(resp.text)
        assert answer["response_action"] == "errors", attempt
        assert b.id in answer["errors"][ids.INPUT_RESTORE_OVERRIDE[0]]
    await flow.settle()
    assert await _b_work_is_there(flow)
    assert await flow.store.recovery_actions(a.id) == []

    resp = await flow.submit(ids.VIEW_RESTORE, a.id, _typed(b.id), user=BOB)
    assert resp.status == 200 and not resp.text.strip().startswith('{"response_action"')
    await flow.settle(timeout=60)
    assert not await _b_work_is_there(flow), flow.ephemerals()[-3:]
    [action] = await flow.store.recovery_actions(a.id)
    assert action.user_id == BOB and action.detail["override"]["typed"] == b.id
    assert [r["id"] for r in action.detail["override"]["later_runs"]] == [b.id]
    events = [e.action for e in await flow.store.audit_events(run_id=a.id)]
    assert "recovery.restore_override" in events
    thread = [m for m in flow.slack.messages.values() if m.get("thread_ts") == a.message_ts]
    assert any("restored production" in block_text(m) for m in thread)


async def test_slack_restore_submitted_twice_at_once_restores_once(make_flow: MakeFlow) -> None:
    flow = await make_flow(dev=FAILING_DEV, snapshot="pg_dump")
    a = await _fail_a(flow)
    await flow.click(ids.ACTION_RESTORE, a.id, user=BOB)
    await flow.click(ids.ACTION_RESTORE, a.id, user=ONCALL)  # a second person, same moment
    await flow.settle()
    assert len(_opened_restore_views(flow)) == 2
    assert not any(b.get("type") == "input" for b in _opened_restore_views(flow)[0]["blocks"])

    first, second = await asyncio.gather(
        flow.submit(ids.VIEW_RESTORE, a.id, {}, user=BOB),
        flow.submit(ids.VIEW_RESTORE, a.id, {}, user=ONCALL),
    )
    assert first.status == second.status == 200
    await flow.settle(timeout=60)
    actions = await flow.store.recovery_actions(a.id)
    assert [x.action for x in actions] == ["restored_snapshot"]
    assert not (actions[0].note or "").startswith("restore FAILED")
    assert any("already restored" in t or "another restore" in t for t in flow.ephemerals()), (
        flow.ephemerals()
    )

    assert "restored the snapshot" in block_text(await flow.run_message(a.id))

    await flow.click(ids.ACTION_RESTORE, a.id, user=CAROL)  # later: refused without a dialog
    await flow.settle()
    assert len(_opened_restore_views(flow)) == 2
    assert any("already restored" in t for t in flow.ephemerals())
    refused = [
        e for e in await flow.store.audit_events(run_id=a.id) if e.action.endswith("refused")
    ]
    assert refused, "the refusal left no audit row"


NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SNAPSHOT = {
    "provider": "pg_dump",
    "id": "prod-x.dump",
    "name": "prod-x",
    "created_at": "2026-11-24T11:00:00Z",
    "status": "available",
}


def _failed(apply: dict | None, *, snapshot: dict | None = None) -> Run:
    data = {"snapshot": snapshot or SNAPSHOT}
    if apply is not None:
        data["apply"] = apply
    return Run(
        id="20261124-abcdef",
        target="prod",
        mode="builtin",
        state=RunState.FAILED,
        requested_by="U0ALICE01",
        requested_via="slack",
        created_at=NOW,
        updated_at=NOW,
        error="apply failed",
        data=data,
    )


@pytest.mark.parametrize(
    ("apply", "production", "restore_offered"),
    [
        ({"error": "statement 2 failed", "statements_applied": 0}, "Production unchanged", False),
        (
            {"error": "x", "statements_applied": 0, "production": "partially changed"},
            "partially changed",
            True,
        ),
        ({"error": "`npm run apply` failed (exit 1)", "exit_code": 1}, "unknown", True),
        ({"error": "lost during COMMIT", "production": "unknown"}, "unknown", True),
        (None, "unknown", True),  # the apply step started and recorded nothing
    ],
)
def test_run_message_offers_restore_only_when_production_may_have_changed(
    apply, production, restore_offered
) -> None:
    steps = [StepRecord("20261124-abcdef", "apply", 1, "failed", NOW, NOW, None, None, {})]
    message = run_message(RunView(run=_failed(apply), steps=steps))
    assert block_problems(message.blocks) == []
    text = str(message.blocks)
    assert production in text
    [recovery] = [b for b in message.blocks if b.get("block_id") == ids.BLOCK_RUN_RECOVERY]
    order = [el["action_id"] for el in recovery["elements"]]
    assert order[0] == ids.ACTION_RERUN
    assert (ids.ACTION_RESTORE in order) is restore_offered
    if restore_offered:
        assert order[1] == ids.ACTION_RESTORE


def test_run_message_never_offers_a_deleted_snapshot() -> None:
    run = _failed({"error": "x", "exit_code": 1}, snapshot={**SNAPSHOT, "status": "deleted"})
    text = str(run_message(RunView(run=run)).blocks)
    assert ids.ACTION_RESTORE not in text and ids.ACTION_RERUN in text


def test_restore_modal_names_what_is_lost_and_what_to_type() -> None:
    later = LaterApply(
        run_id="20261130-b0b0b0",
        target="prod-alias",
        state="done",
        outcome="IN SYNC",
        apply_started_at=NOW + timedelta(days=6),
    )
    check = RestoreCheck(
        run_id="20261124-abcdef",
        target="prod",
        snapshot_name="prod-x <&>",
        snapshot_taken_at=NOW,
        age=timedelta(days=7, hours=2),
        production="unchanged",
        later=(later,),
    )
    view = modals.restore_modal(check)
    assert view_problems(view) == [] and view["callback_id"] == ids.VIEW_RESTORE
    assert view["private_metadata"] == check.run_id
    text = json.dumps(view, ensure_ascii=False)
    assert "7 d 2 h ago" in text and "20261130-b0b0b0 (target prod-alias)" in text
    assert "done — IN SYNC" in text and "&lt;&amp;&gt;" in text
    assert "To restore anyway, type: 20261130-b0b0b0" in text
    plain = modals.restore_modal(
        RestoreCheck(check.run_id, "prod", "prod-x", NOW, timedelta(minutes=5), "changed")
    )
    assert view_problems(plain) == []
    assert not any(b.get("type") == "input" for b in plain["blocks"])

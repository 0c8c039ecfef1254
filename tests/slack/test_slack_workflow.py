"""The workflow driven from Slack end to end: signed requests into the real HTTP endpoint, the
real Runner against real databases, the emulator recording what the bot posts."""

from __future__ import annotations

import asyncio

from bot.slack import ids
from bot.workflow.run import RunState
from tests.slackkit import block_problems

from .flow import (
    ALICE,
    BOB,
    CAROL,
    DESTRUCTIVE_DEV,
    MALLORY,
    Flow,
    MakeFlow,
    block_text,
    reason,
)
from .flow import make_flow as make_flow


async def _approve_and_finish(flow: Flow, run_id: str, user: str = BOB) -> None:
    resp = await flow.click(ids.ACTION_APPROVE, run_id, user=user)
    assert resp.status == 200
    await flow.wait_state(run_id, RunState.DONE, RunState.FAILED)
    await flow.settle()


async def test_workflow_full_approve_path_ends_with_report_in_thread(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    card = flow.card(run.id)
    assert block_problems(card["blocks"]) == []
    text = block_text(card)
    assert "NEEDS_ATTENTION" in text or "SAFE" in text
    assert run.sql_sha256 in text and "public.users" in text
    assert card.get("thread_ts") == run.message_ts or (await flow.store.get_run(run.id)).message_ts
    await flow.settle()
    sql_upload = [
        c
        for c in flow.slack.calls_to("files.getUploadURLExternal")
        if str(c.args.get("filename", "")).endswith(".sql")
    ]
    assert sql_upload, "the full SQL was not uploaded"

    await _approve_and_finish(flow, run.id)
    final = await flow.store.get_run(run.id)
    assert final.state is RunState.DONE and final.outcome == "IN SYNC", final.error
    message = await flow.run_message(run.id)
    shown = block_text(message)
    assert "IN SYNC" in shown and "statements applied" in shown
    assert "apply" in shown and ":white_check_mark:" in shown
    card_now = block_text(flow.card(run.id))
    assert f"<@{BOB}>" in card_now and "Approved" in card_now
    assert not any(b.get("block_id") == ids.BLOCK_CARD_ACTIONS for b in flow.card(run.id)["blocks"])
    reports = [
        c
        for c in flow.slack.calls_to("files.completeUploadExternal")
        if c.args.get("thread_ts") == final.message_ts
    ]
    names = [
        f["name"]
        for c in flow.slack.calls_to("files.completeUploadExternal")
        if c.ok
        for f in c.response["files"]
    ]
    assert reports and any(n.endswith(".md") for n in names)
    decisions = await flow.store.decisions(run.id)
    assert [(d.decision, d.user_id) for d in decisions] == [("approved", BOB)]


async def test_workflow_destructive_approval_needs_the_target_name(make_flow: MakeFlow) -> None:
    flow = await make_flow(dev=DESTRUCTIVE_DEV)
    run = await flow.start_review()
    assert run.data["review"]["verdict"] == "DESTRUCTIVE"
    resp = await flow.click(ids.ACTION_APPROVE, run.id)
    assert resp.status == 200
    opened = await flow.slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == ids.VIEW_APPROVE_DESTRUCTIVE
    assert "DROP_COLUMN" in str(opened.args["view"]["blocks"])
    block, action = ids.INPUT_CONFIRM_TARGET
    wrong = await flow.submit(
        ids.VIEW_APPROVE_DESTRUCTIVE,
        run.id,
        {block: {action: {"type": "plain_text_input", "value": "staging"}}},
    )
    assert wrong.json()["response_action"] == "errors"
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    right = await flow.submit(
        ids.VIEW_APPROVE_DESTRUCTIVE,
        run.id,
        {block: {action: {"type": "plain_text_input", "value": "prod"}}},
    )
    assert right.status == 200 and not right.text
    done = await flow.wait_state(run.id, RunState.DONE, RunState.FAILED)
    assert done.state is RunState.DONE and done.outcome == "IN SYNC"


async def test_workflow_reject_needs_a_reason_and_closes_the_card(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    await flow.click(ids.ACTION_REJECT, run.id)
    opened = await flow.slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == ids.VIEW_REJECT
    empty = await flow.submit(ids.VIEW_REJECT, run.id, reason("  "))
    assert empty.json()["response_action"] == "errors"
    ok = await flow.submit(ids.VIEW_REJECT, run.id, reason("index <b>name</b> is wrong"))
    assert ok.status == 200
    await flow.wait_state(run.id, RunState.REJECTED)
    await flow.settle()
    card = block_text(flow.card(run.id))
    assert "Rejected" in card and "&lt;b&gt;name&lt;/b&gt;" in card
    assert ":no_entry_sign: rejected" in block_text(await flow.run_message(run.id))


async def test_workflow_defer_then_resume_posts_a_fresh_card(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    await flow.click(ids.ACTION_DEFER, run.id, user=CAROL)
    await flow.slack.wait_for("views.open")
    block, action = ids.INPUT_REMIND
    values = {
        **reason("after the release"),
        block: {action: {"type": "static_select", "selected_option": {"value": "4h"}}},
    }
    await flow.submit(ids.VIEW_DEFER, run.id, values, user=CAROL)
    deferred = await flow.wait_state(run.id, RunState.DEFERRED)
    assert deferred.remind_at is not None
    await flow.settle()
    assert "Deferred" in block_text(flow.card(run.id))
    resp = await flow.driver.command(f"resume {run.id}", user=ALICE)
    assert resp.status == 200
    await flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW, run.id)
    await flow.settle()
    cards = [m for m in flow.slack.messages.values() if block_text(m).startswith("Review:")]
    assert len(cards) == 2
    assert any(b.get("block_id") == ids.BLOCK_CARD_ACTIONS for b in cards[-1]["blocks"])
    await _approve_and_finish(flow, run.id)
    assert (await flow.store.get_run(run.id)).outcome == "IN SYNC"


async def test_workflow_cancel_from_slash_command(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    refused = await flow.driver.command(f"cancel {run.id}", user=MALLORY)
    assert refused.status == 200
    await flow.settle()
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert any("requester or a reviewer" in t for t in flow.ephemerals())
    await flow.driver.command("cancel", user=ALICE)
    await flow.wait_state(run.id, RunState.CANCELLED)
    await flow.settle()
    assert "cancelled" in block_text(await flow.run_message(run.id))
    assert "Approve" not in str(flow.card(run.id)["blocks"][-1])


async def test_workflow_click_by_non_reviewer_is_refused_and_card_untouched(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    await flow.settle()
    before = [c for c in flow.slack.calls if c.method == "chat.update"]
    card_before = flow.card(run.id)["blocks"]
    resp = await flow.click(ids.ACTION_APPROVE, run.id, user=MALLORY)
    assert resp.status == 200
    await flow.settle()
    assert any("not a reviewer" in t for t in flow.ephemerals())
    assert flow.card(run.id)["blocks"] == card_before
    assert [c for c in flow.slack.calls if c.method == "chat.update"] == before
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert await flow.store.decisions(run.id) == []
    # The same refusal for a modal-opening button: no modal at all.
    await flow.click(ids.ACTION_REJECT, run.id, user=MALLORY)
    await flow.settle()
    assert flow.slack.calls_to("views.open") == []


async def test_workflow_self_approval_is_refused_with_four_eyes(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review(user=BOB)  # Bob requests and is a reviewer
    await flow.click(ids.ACTION_APPROVE, run.id, user=BOB)
    await flow.settle()
    assert any("four-eyes" in t for t in flow.ephemerals())
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW


async def test_workflow_double_click_and_two_reviewers_apply_once(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    responses = await asyncio.gather(
        flow.click(ids.ACTION_APPROVE, run.id, user=BOB),
        flow.click(ids.ACTION_APPROVE, run.id, user=BOB),
        flow.click(ids.ACTION_APPROVE, run.id, user=CAROL),
        flow.click(ids.ACTION_APPROVE, run.id, user=CAROL),
    )
    assert all(r.status == 200 for r in responses)
    await flow.wait_state(run.id, RunState.DONE, RunState.FAILED)
    await flow.settle()
    decisions = await flow.store.decisions(run.id)
    assert len(decisions) == 1 and decisions[0].decision == "approved"
    applies = [s for s in await flow.store.steps(run.id) if s.name == "apply"]
    assert len(applies) == 1
    assert (await flow.store.get_run(run.id)).outcome == "IN SYNC"


async def test_workflow_second_approver_for_destructive(make_flow: MakeFlow) -> None:
    flow = await make_flow(dev=DESTRUCTIVE_DEV, second_approver=True)
    run = await flow.start_review()
    block, action = ids.INPUT_CONFIRM_TARGET
    typed = {block: {action: {"type": "plain_text_input", "value": "prod"}}}
    await flow.submit(ids.VIEW_APPROVE_DESTRUCTIVE, run.id, typed, user=BOB)
    await flow.settle()
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert "second approver is needed" in block_text(flow.card(run.id))
    await flow.submit(ids.VIEW_APPROVE_DESTRUCTIVE, run.id, typed, user=CAROL)
    done = await flow.wait_state(run.id, RunState.DONE, RunState.FAILED)
    assert done.state is RunState.DONE


async def test_workflow_usergroup_reviewer_is_resolved_server_side(make_flow: MakeFlow) -> None:
    flow = await make_flow(usergroups={"S0REVIEWS1": ["U0DAVE004"]})
    run = await flow.start_review()
    await _approve_and_finish(flow, run.id, user="U0DAVE004")
    assert (await flow.store.get_run(run.id)).state is RunState.DONE
    assert flow.slack.calls_to("usergroups.users.list")

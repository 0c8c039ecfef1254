"""Failures seen from Slack: a failed apply and its recovery, Slack itself failing during a run,
and requests that must not start anything (replays, forged or malformed payloads)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from bot.slack import ids
from bot.workflow.run import RunState
from tests.slackkit import block_problems

from .flow import (
    ALICE,
    BOB,
    FAILING_DEV,
    MALLORY,
    ONCALL,
    MakeFlow,
    block_text,
)
from .flow import make_flow as make_flow


async def test_workflow_apply_failure_mentions_oncall_then_manual_note(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow(dev=FAILING_DEV, snapshot="pg_dump")
    run = await flow.start_review()
    await flow.click(ids.ACTION_APPROVE, run.id)
    failed = await flow.wait_state(run.id, RunState.FAILED)
    await flow.settle()
    notice = [
        m
        for m in flow.slack.messages.values()
        if m.get("thread_ts") == failed.message_ts and f"<@{ONCALL}>" in block_text(m)
    ]
    assert notice and "apply" in block_text(notice[0])
    message = await flow.run_message(run.id)
    assert block_problems(message["blocks"]) == []
    recovery = [b for b in message["blocks"] if b.get("block_id") == ids.BLOCK_RUN_RECOVERY]
    assert recovery, "no recovery buttons"
    # The apply rolled back: production is unchanged, so Re-run comes first and Restore (which
    # would only throw away writes) is not offered; restore is tested in test_slack_restore.py.
    actions = [el["action_id"] for el in recovery[0]["elements"]]
    assert actions == [ids.ACTION_RERUN, ids.ACTION_MANUAL]

    await flow.click(ids.ACTION_MANUAL, run.id, user=ONCALL)
    opened = await flow.slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == ids.VIEW_MANUAL
    block, action = ids.INPUT_NOTE
    await flow.submit(
        ids.VIEW_MANUAL,
        run.id,
        {block: {action: {"type": "plain_text_input", "value": "checked by hand"}}},
        user=ONCALL,
    )
    await flow.settle()
    assert [a.action for a in await flow.store.recovery_actions(run.id)][
        -1
    ] == "manual_intervention"


async def test_workflow_survives_slack_429_and_500_during_a_run(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    flow.slack.server_error("chat.postMessage", times=4)
    flow.slack.rate_limit("chat.update", retry_after=1, times=2)
    flow.slack.server_error("files.getUploadURLExternal", times=3)
    resp = await flow.driver.command("start prod", user=ALICE)
    assert resp.status == 200
    run = await flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
    await flow.settle(timeout=30)
    run = await flow.store.get_run(run.id)
    assert run.message_ts, "the run message never caught up"
    flow.slack.server_error("chat.update", times=3)
    await flow.click(ids.ACTION_APPROVE, run.id)
    await flow.wait_state(run.id, RunState.DONE)
    await flow.settle(timeout=30)
    shown = block_text(await flow.run_message(run.id))
    assert "IN SYNC" in shown and "statements applied" in shown
    assert "Approved" in block_text(flow.card(run.id))
    posted = [c for c in flow.slack.calls_to("chat.postMessage") if c.ok]
    assert len([c for c in posted if not c.args.get("thread_ts")]) == 1  # one run message
    assert any(c.status == 429 for c in flow.slack.calls_to("chat.update"))


async def test_workflow_slack_retry_and_replay_never_start_a_second_run(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    retried = await flow.driver.command("start prod", user=ALICE, retry_num=1)
    assert retried.status == 200 and retried.headers.get("x-slack-no-retry") == "1"
    await flow.settle()
    assert await flow.store.list_runs() == []
    first = await flow.driver.command("start prod", user=ALICE)
    again = await flow.driver.replay(first)  # the identical signed request, replayed
    assert again.status == 200
    await flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
    await flow.settle()
    assert len(await flow.store.list_runs()) == 1
    # dropped before any listener: not even a "busy" refusal (tests/slack/test_slack_replay.py)
    assert not any("busy" in t for t in flow.ephemerals())


async def test_workflow_bad_signature_click_is_rejected(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    resp = await flow.click(ids.ACTION_APPROVE, run.id, signature="v0=" + "0" * 64)
    assert resp.status == 401
    await flow.settle()
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert await flow.store.decisions(run.id) == []


async def test_workflow_malformed_payloads_are_answered_and_change_nothing(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    base = {
        "type": "block_actions",
        "api_app_id": "A0ALIGNBOT",
        "team": {"id": "T0ACME001"},
        "trigger_id": "1.2.x",
        "response_url": flow.slack.new_response_url("actions"),
    }
    act = {"type": "button", "block_id": "b", "action_ts": "1"}
    cases = [
        {**base, "user": {"id": BOB}, "actions": [{**act, "action_id": ids.ACTION_APPROVE}]},
        {**base, "actions": [{**act, "action_id": ids.ACTION_APPROVE, "value": run.id}]},
        {
            **base,
            "user": {"id": BOB},
            "actions": [{**act, "action_id": ids.ACTION_APPROVE, "value": 12345}],
        },
        {
            **base,
            "user": {"id": 7},
            "actions": [{**act, "action_id": ids.ACTION_APPROVE, "value": run.id}],
        },
        {
            **base,
            "user": {"id": BOB},
            "actions": [{**act, "action_id": ids.ACTION_APPROVE, "value": "x" * 100_000}],
        },
        {
            **base,
            "user": {"id": BOB},
            "actions": [{**act, "action_id": "no.such.button", "value": run.id}],
        },
        {**base, "user": {"id": BOB}, "actions": "not a list"},
        {
            **base,
            "user": "U0BOB0002",
            "actions": [{**act, "action_id": ids.ACTION_REJECT, "value": run.id}],
        },
    ]
    for payload in cases:
        resp = await flow.driver.interactive(payload)
        assert resp.status in (200, 404), (resp.status, payload)
    garbage = await flow.driver.post(urlencode({"payload": "{not json"}))
    assert garbage.status in (200, 400, 404)
    huge = await flow.driver.view_submission(
        ids.VIEW_REJECT,
        private_metadata=run.id,
        user=BOB,
        values={"decision.reason": {"decision.reason_input": {"value": ["wrong", "type"]}}},
    )
    assert huge.status == 200 and json.loads(huge.text)["response_action"] == "errors"
    weird = await flow.driver.view_submission("no.such.view", private_metadata="x" * 5000)
    assert weird.status == 200
    await flow.settle()
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert await flow.store.decisions(run.id) == []
    assert flow.slack.calls_to("views.open") == []
    assert flow.bundle.deps.supervisor.failures == 0


async def test_workflow_commands_history_status_report_verify(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    verify = await flow.driver.command("verify prod", user=MALLORY)
    assert verify.status == 200
    await flow.settle()
    assert any("OUT OF SYNC" in t for t in flow.ephemerals())
    assert await flow.store.list_runs() == []  # verify records no run
    refused = await flow.driver.command("start prod", user=MALLORY)
    assert refused.status == 200
    await flow.settle()
    assert any("not in access.requesters" in t for t in flow.ephemerals())
    run = await flow.start_review()
    busy = await flow.driver.command("start", user=BOB)
    assert busy.status == 200
    await flow.settle()
    assert any("busy" in t and f"<@{ALICE}>" in t for t in flow.ephemerals())
    await flow.click(ids.ACTION_APPROVE, run.id)
    await flow.wait_state(run.id, RunState.DONE)
    await flow.settle()
    for text in ("history", "history prod", f"status {run.id}", f"report {run.id}"):
        resp = await flow.driver.command(text, user=MALLORY)
        assert resp.status == 200
    await flow.settle()
    assert any(run.id in t and "History" in t for t in flow.ephemerals())
    assert any("uploaded" in t for t in flow.ephemerals())
    bad = await flow.driver.command("start Prod!")
    assert "not a target name" in bad.text
    unknown = await flow.driver.command("history nope")
    assert unknown.status == 200
    await flow.settle()
    assert any("unknown target" in t for t in flow.ephemerals())

"""Replays, written as the attack: the exact bytes of a signed request (same
``X-Slack-Request-Timestamp``, same signature, no retry header) sent again while the signature
is still valid. The first delivery is served; every replay is acked, dropped before any listener
and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.app import build_app
from bot.config import load_settings
from bot.slack import ids
from bot.store import Store
from bot.workflow.run import RunState
from tests.slackkit import DriverResponse, SlackEmulator

from .flow import ALICE, BOB, MakeFlow
from .flow import make_flow as make_flow


def _replies_on(emulator: SlackEmulator, resp: DriverResponse) -> list[str]:
    path = urlsplit(resp.response_url or "").path
    return [
        str(c.args.get("text", ""))
        for c in emulator.calls
        if c.method == "response_url" and c.path == path
    ]


async def _replays(store: Store) -> list[dict]:
    return [e.detail for e in await store.audit_events() if e.action == "slack.replay_dropped"]


async def test_replay_of_a_signed_start_starts_one_run(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    first = await flow.driver.command("start prod", user=ALICE)
    again = await flow.driver.replay(first)
    assert first.request_headers == again.request_headers and first.body == again.body
    assert again.status == 200 and again.text == ""
    await flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
    await flow.settle()
    assert len(await flow.store.list_runs()) == 1
    replies = _replies_on(flow.slack, first)
    assert len(replies) == 1 and "started" in replies[0]  # the replay got no answer at all
    assert [r["kind"] for r in await _replays(flow.store)] == ["command"]
    requested = [e for e in await flow.store.audit_events() if e.action == "run.requested"]
    assert len(requested) == 1


async def test_replay_of_a_start_after_the_first_run_finished_starts_nothing(
    make_flow: MakeFlow,
) -> None:
    """Once the first run is over the target is free again: only the replay memory stands
    between a captured request and a second run."""
    flow = await make_flow()
    first = await flow.driver.command("start prod", user=ALICE)
    run = await flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
    await flow.driver.command(f"cancel {run.id}", user=ALICE)
    await flow.wait_state(run.id, RunState.CANCELLED)
    await flow.settle()
    again = await flow.driver.replay(first)
    assert again.status == 200
    await flow.settle()
    assert [r.id for r in await flow.store.list_runs()] == [run.id]
    assert len(await _replays(flow.store)) == 1


async def test_replay_of_an_approve_click_records_one_decision(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    click = await flow.click(ids.ACTION_APPROVE, run.id, user=BOB)
    again = await flow.driver.replay(click)
    assert again.status == 200
    await flow.wait_state(run.id, RunState.DONE, RunState.FAILED)
    await flow.settle()
    decisions = await flow.store.decisions(run.id)
    assert [(d.decision, d.user_id) for d in decisions] == [("approved", BOB)]
    assert _replies_on(flow.slack, click) == []  # not even an "already decided" refusal
    assert [r["kind"] for r in await _replays(flow.store)] == ["block_actions"]


async def test_replay_memory_is_one_row_per_request_and_is_pruned(state_store: Store) -> None:
    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    digest = bytes(range(32))
    assert await state_store.first_sighting(digest, kind="command", at=t0) is True
    assert await state_store.first_sighting(digest, kind="command", at=t0) is False
    assert await state_store.first_sighting(bytes(32), kind="command", at=t0) is True
    forgotten = await state_store.prune_seen_requests(older_than=t0 + timedelta(minutes=10))
    assert forgotten == 2
    assert await state_store.first_sighting(digest, kind="command", at=t0) is True


async def test_replay_of_a_socket_mode_envelope_is_dropped(
    align_config: Path,
    slack_environ: dict[str, str],
    slack_emulator: SlackEmulator,
    state_store: Store,
) -> None:
    """Socket Mode has no signature: the envelope id is the key. A redelivered envelope (same id,
    ``retry_attempt`` 0, so the retry rule does not catch it) is acked and dropped."""
    env = {**slack_environ, "SLACK_APP_TOKEN": slack_emulator.app_token}
    del env["SLACK_SIGNING_SECRET"]
    bundle = build_app(load_settings(align_config, env), state_store)
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        command = {
            "command": "/align",
            "text": "help",
            "user_id": ALICE,
            "channel_id": "C0OPS0001",
            "team_id": slack_emulator.team_id,
            "response_url": slack_emulator.new_response_url(),
            "trigger_id": "1.2.3",
        }
        first = await slack_emulator.push_envelope("slash_commands", command)
        assert first.get("payload", {}).get("text")  # help, in the ack
        again = await slack_emulator.push_envelope(
            "slash_commands", command, envelope_id=first["envelope_id"]
        )
        assert again["envelope_id"] == first["envelope_id"] and "payload" not in again
        fresh = await slack_emulator.push_envelope("slash_commands", command)
        assert fresh.get("payload", {}).get("text")  # a new envelope is a new request
    finally:
        await runner.cleanup()
    assert [r["kind"] for r in await _replays(state_store)] == ["command"]

"""The bot's HTTP endpoint end to end: signed requests in, the emulator records what goes out."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import aiohttp

from bot.pgcluster import PgCluster
from bot.store import Store
from bot.workflow.run import RunState
from tests.slackkit import SlackDriver, SlackEmulator, block_problems
from tests.slackkit.fixtures import BotServer


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def test_events_bad_signature_is_rejected_and_nothing_starts(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator, bot_server: BotServer
) -> None:
    resp = await slack_driver.command("status", signature="v0=" + "0" * 64)
    assert resp.status == 401
    assert slack_emulator.calls == []
    assert bot_server.bundle.deps.supervisor.running == 0


async def test_events_stale_timestamp_is_rejected(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator
) -> None:
    resp = await slack_driver.command("help", timestamp=int(time.time()) - 600)
    assert resp.status == 401
    assert slack_emulator.calls == []


async def test_align_help_answers_ephemerally_in_the_ack(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator
) -> None:
    resp = await slack_driver.command("help")
    assert resp.status == 200
    body = resp.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert "/align status" in body["text"]
    assert block_problems(body["blocks"]) == []
    shown = " ".join(b["text"]["text"] for b in body["blocks"] if "text" in b)
    assert "/align help" in shown
    assert [c.method for c in slack_emulator.calls] == ["auth.test"]


async def test_align_empty_text_gets_help(slack_driver: SlackDriver) -> None:
    resp = await slack_driver.command("")
    assert resp.status == 200
    assert "/align status" in resp.json()["text"]


async def test_align_unknown_subcommand_gets_help_saying_what_was_wrong(
    slack_driver: SlackDriver,
) -> None:
    resp = await slack_driver.command("frobnicate now")
    assert resp.status == 200
    body = resp.json()
    assert "Unknown subcommand `frobnicate`" in body["text"]
    assert "/align status" in body["text"]
    assert block_problems(body["blocks"]) == []


async def test_align_status_without_runs_says_so(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator
) -> None:
    resp = await slack_driver.command("status")
    assert resp.status == 200 and resp.text == ""
    call = await slack_emulator.wait_for("response_url")
    assert call.path == urlsplit(resp.response_url).path
    assert call.args["response_type"] == "ephemeral"
    assert call.args["text"] == "No runs yet."
    assert block_problems(call.args["blocks"]) == []


async def test_align_status_lists_latest_runs_per_target(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator, state_store: Store
) -> None:
    old = await state_store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="slack"
    )
    await state_store.transition(old.id, from_states=[RunState.REQUESTED], to_state=RunState.FAILED)
    new = await state_store.create_run(
        target="prod", mode="builtin", requested_by="U0BOB0002", requested_via="cli"
    )
    await slack_driver.command("status")
    call = await slack_emulator.wait_for("response_url")
    shown = "\n".join(b["text"]["text"] for b in call.args["blocks"] if "text" in b)
    assert f"`{old.id}` *failed*" in shown and "<@U0ALICE01>" in shown
    assert f"`{new.id}` *requested*" in shown and "<@U0BOB0002>" in shown
    assert shown.index(new.id) < shown.index(old.id)
    assert "just now" in shown


async def test_align_status_run_id_shows_that_run(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator, state_store: Store
) -> None:
    run = await state_store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="slack"
    )
    await slack_driver.command(f"status {run.id}")
    call = await slack_emulator.wait_for("response_url")
    shown = call.args["blocks"][0]["text"]["text"]
    assert f"Run `{run.id}`" in shown
    assert "requested" in shown and "<@U0ALICE01>" in shown and "`prod`" in shown


async def test_align_status_unknown_run_id_says_so(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator
) -> None:
    await slack_driver.command("status 20990101-abcdef")
    call = await slack_emulator.wait_for("response_url")
    assert "No run `20990101-abcdef` found" in call.args["text"]


async def test_align_status_rejects_malformed_run_id(slack_driver: SlackDriver) -> None:
    resp = await slack_driver.command("status <script>")
    assert "`&lt;script&gt;` is not a run id" in resp.json()["text"]


async def test_slack_retry_is_acked_and_dropped(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator, bot_server: BotServer
) -> None:
    retry = await slack_driver.command("status", retry_num=1)
    assert retry.status == 200 and retry.text == ""
    assert retry.headers.get("x-slack-no-retry") == "1"
    first = await slack_driver.command("status")
    await slack_emulator.wait_for("response_url")
    await bot_server.bundle.deps.supervisor.wait_idle(timeout=5)
    answered = [c.path for c in slack_emulator.calls_to("response_url")]
    assert answered == [urlsplit(first.response_url).path]
    metrics = bot_server.bundle.deps.metrics
    assert metrics.retries_dropped.value(kind="command") == 1


async def test_healthz_is_200_when_the_store_answers(bot_server: BotServer) -> None:
    status, ctype, text = await _get(f"{bot_server.url}/healthz")
    assert status == 200 and ctype.startswith("application/json")
    assert '"status": "ok"' in text


async def test_healthz_is_503_when_the_store_is_down(
    bot_server: BotServer,
    state_store: Store,
    pg_cluster: PgCluster,
    slack_driver: SlackDriver,
    slack_emulator: SlackEmulator,
) -> None:
    await pg_cluster.drop_database(state_store.label.rsplit("/", 1)[1])
    status, ctype, text = await _get(f"{bot_server.url}/healthz")
    assert status == 503 and ctype.startswith("application/json")
    assert '"status": "unavailable"' in text and "***" not in text
    # and a command that needs the store still gets an answer, not silence
    await slack_driver.command("status")
    call = await slack_emulator.wait_for("response_url")
    assert call.args["text"].startswith(":warning:")
    status, _, _ = await _get(f"{bot_server.url}/healthz")
    assert status == 503


async def test_metrics_exposes_requests_and_ack_latency(
    bot_server: BotServer, slack_driver: SlackDriver
) -> None:
    await slack_driver.command("help")
    status, ctype, text = await _get(f"{bot_server.url}/metrics")
    assert status == 200 and ctype.startswith("text/plain") and "version=0.0.4" in ctype
    assert 'align_slack_requests_total{kind="command",status="200"} 1' in text
    assert 'align_slack_ack_seconds_count{kind="command"} 1' in text
    assert "# TYPE align_slack_ack_seconds histogram" in text
    assert "# TYPE align_slack_api_errors_total counter" in text


async def test_events_route_is_post_only(bot_server: BotServer) -> None:
    status, _, _ = await _get(bot_server.events_url)
    assert status == 405


async def test_driver_interactivity_passes_verification_and_retries_are_dropped(
    slack_driver: SlackDriver, slack_emulator: SlackEmulator, bot_server: BotServer
) -> None:
    # Unknown buttons and modals reach the catch-all listeners (acked 200, nothing done), which
    # proves the signed payload=<json> form got through verification and parsing (forged: 401).
    click = await slack_driver.block_action("plan.approve", value="run-1")
    assert click.status == 200
    submit = await slack_driver.view_submission("plan.reject", private_metadata="{}")
    assert submit.status == 200
    retried = await slack_driver.block_action("plan.approve", value="run-1", retry_num=2)
    assert retried.status == 200
    forged = await slack_driver.block_action("plan.approve", signature="v0=" + "2" * 64)
    assert forged.status == 401
    assert bot_server.bundle.deps.metrics.retries_dropped.value(kind="block_actions") == 1
    assert [c.method for c in slack_emulator.calls] == ["auth.test"]

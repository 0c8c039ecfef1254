"""Requests from another Slack workspace or organisation, written as the attack: correctly signed
(same app, same signing secret: Slack signs every workspace's requests alike), sent to the real
HTTP endpoint (and once through Socket Mode), refused before any listener runs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import load_settings
from bot.slack import ids
from bot.slack.workspace import (
    RequestOrigin,
    Workspace,
    foreign_reason,
    installed_workspace,
    origin_of,
)
from bot.store import Store
from bot.workflow.run import RunState
from tests.slackkit import DriverResponse, SlackDriver, SlackEmulator
from tests.slackkit.fixtures import SIGNING_SECRET

from .custom_bot import custom_bot
from .flow import ALICE, BOB, MakeFlow
from .flow import make_flow as make_flow

EVIL = "T0EVIL0001"


def _foreign(flow_driver: SlackDriver, team_id: str = EVIL) -> SlackDriver:
    return SlackDriver(
        flow_driver.events_url,
        signing_secret=SIGNING_SECRET,
        emulator=flow_driver.emulator,
        team_id=team_id,
    )


async def _reply_to(emulator: SlackEmulator, resp: DriverResponse) -> str:
    path = urlsplit(resp.response_url or "").path
    call = await emulator.wait_for("response_url", lambda c: c.path == path)
    return str(call.args.get("text", ""))


async def _refusals(store: Store) -> list[dict]:
    return [e.detail for e in await store.audit_events() if e.action == "slack.foreign_refused"]


# ----------------------------------------------------------------------------- through HTTP
async def test_identity_foreign_team_start_is_refused_and_starts_nothing(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    resp = await _foreign(flow.driver).command("start prod", user=ALICE)  # ALICE may request
    assert resp.status == 200 and resp.text == ""
    assert "only serves the Slack workspace it is installed in" in await _reply_to(flow.slack, resp)
    await flow.settle()
    assert await flow.store.list_runs() == []
    assert [(r["kind"], r["teams"]) for r in await _refusals(flow.store)] == [("command", [EVIL])]
    events = [e for e in await flow.store.audit_events() if e.action == "slack.foreign_refused"]
    assert events[0].actor == ALICE


async def test_identity_foreign_team_approve_click_records_no_decision(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    resp = await _foreign(flow.driver).block_action(ids.ACTION_APPROVE, value=run.id, user=BOB)
    assert resp.status == 200
    assert "only serves" in await _reply_to(flow.slack, resp)
    await flow.settle()
    assert await flow.store.decisions(run.id) == []
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert [r["kind"] for r in await _refusals(flow.store)] == ["block_actions"]
    # the same click from the installed workspace still works: the rule is the workspace
    await flow.click(ids.ACTION_APPROVE, run.id, user=BOB)
    await flow.wait_state(run.id, RunState.DONE, RunState.FAILED)
    assert [d.user_id for d in await flow.store.decisions(run.id)] == [BOB]


async def test_identity_slack_connect_user_from_another_org_is_refused(
    make_flow: MakeFlow,
) -> None:
    """The payload's ``team`` is the installed workspace but the clicking user belongs to
    another one (a Slack Connect channel): still foreign."""
    flow = await make_flow()
    run = await flow.start_review()
    payload = {
        "type": "block_actions",
        "api_app_id": flow.driver.api_app_id,
        "trigger_id": "1.2.3",
        "user": {"id": BOB, "username": "bob", "team_id": EVIL},
        "team": {"id": flow.driver.team_id, "domain": "acme"},
        "enterprise": {"id": "E0OTHERORG"},
        "channel": {"id": "C0OPS0001"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0OPS0001"},
        "response_url": flow.slack.new_response_url("actions"),
        "actions": [{"type": "button", "action_id": ids.ACTION_APPROVE, "value": run.id}],
    }
    resp = await flow.driver.interactive(payload)
    assert resp.status == 200
    await _reply_to(flow.slack, resp)
    await flow.settle()
    assert await flow.store.decisions(run.id) == []
    (refusal,) = await _refusals(flow.store)
    assert refusal["teams"] == sorted([EVIL, flow.driver.team_id])
    assert refusal["enterprises"] == ["E0OTHERORG"]


async def test_identity_pinned_team_id_other_than_the_tokens_refuses_everything(
    tmp_path: Path,
    slack_environ: dict[str, str],
    state_store: Store,
    slack_emulator: SlackEmulator,
) -> None:
    """A ``[slack] team_id`` pin that disagrees with the bot token fails closed."""
    async with custom_bot(
        tmp_path, slack_environ, state_store, slack_emulator, slack='[slack]\nteam_id = "T0PINNED1"'
    ) as bot:
        resp = await bot.driver.command("status")  # the token's own workspace
        assert "only serves" in await _reply_to(slack_emulator, resp)
        pinned = await bot.foreign("T0PINNED1").command("status")
        assert "only serves" in await _reply_to(slack_emulator, pinned)
        await bot.bundle.deps.supervisor.wait_idle(5)
    whys = [r["why"] for r in await _refusals(state_store)]
    assert len(whys) == 2
    assert all("T0PINNED1" in w and slack_emulator.team_id in w for w in whys)


async def test_identity_pinned_team_id_matching_the_token_is_served(
    tmp_path: Path,
    slack_environ: dict[str, str],
    state_store: Store,
    slack_emulator: SlackEmulator,
) -> None:
    pin = f'[slack]\nteam_id = "{slack_emulator.team_id}"'
    async with custom_bot(tmp_path, slack_environ, state_store, slack_emulator, slack=pin) as bot:
        ok = await bot.driver.command("status")
        assert "only serves" not in await _reply_to(slack_emulator, ok)
        evil = await bot.foreign(EVIL).command("status")
        assert "only serves" in await _reply_to(slack_emulator, evil)
    assert [r["teams"] for r in await _refusals(state_store)] == [[EVIL]]


async def test_identity_socket_mode_foreign_command_is_refused(
    align_config: Path,
    slack_environ: dict[str, str],
    slack_emulator: SlackEmulator,
    state_store: Store,
) -> None:
    env = {**slack_environ, "SLACK_APP_TOKEN": slack_emulator.app_token}
    del env["SLACK_SIGNING_SECRET"]
    bundle = build_app(load_settings(align_config, env), state_store)
    runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        response_url = slack_emulator.new_response_url()
        command = {
            "command": "/align",
            "text": "help",
            "user_id": ALICE,
            "channel_id": "C0OPS0001",
            "team_id": EVIL,
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
        ack = await slack_emulator.push_envelope("slash_commands", command)
        assert "payload" not in ack  # no help text: the command never reached its listener
        path = urlsplit(response_url).path
        call = await slack_emulator.wait_for("response_url", lambda c: c.path == path)
        assert "only serves" in call.args["text"]
        home = await slack_emulator.push_envelope(
            "slash_commands", {**command, "team_id": slack_emulator.team_id}
        )
        assert home.get("payload", {}).get("text")  # help, answered in the ack
    finally:
        await runner.cleanup()
    assert [r["teams"] for r in await _refusals(state_store)] == [[EVIL]]


# ----------------------------------------------------------------------------- the pure rule
HOME = Workspace(team_id="T0HOME001")
GRID_HOME = Workspace(team_id="T0HOME001", enterprise_id="E0HOME001")
ORG_WIDE = Workspace(team_id=None, enterprise_id="E0HOME001")


@pytest.mark.parametrize(
    ("body", "workspace", "refused"),
    [
        ({"team_id": "T0HOME001"}, HOME, False),
        ({"team_id": "T0EVIL001"}, HOME, True),
        ({"team": {"id": "T0HOME001"}, "user": {"team_id": "T0HOME001"}}, HOME, False),
        ({"team": {"id": "T0HOME001"}, "user": {"team_id": "T0EVIL001"}}, HOME, True),
        ({"view": {"team_id": "T0EVIL001"}, "user": {"team_id": "T0HOME001"}}, HOME, True),
        ({"user": {"id": "U1"}}, HOME, True),  # names no workspace: fail closed
        ({"team_id": "T0HOME001", "enterprise_id": "E0EVIL001"}, HOME, True),
        ({"team_id": "T0HOME001", "enterprise_id": "E0HOME001"}, GRID_HOME, False),
        ({"team_id": "T0HOME001", "enterprise_id": "E0EVIL001"}, GRID_HOME, True),
        ({"team_id": "T0OTHER01", "enterprise_id": "E0HOME001"}, GRID_HOME, True),
        ({"team_id": "T0OTHER01", "enterprise_id": "E0HOME001"}, ORG_WIDE, False),
        ({"team": {"id": "T0OTHER01", "enterprise_id": "E0EVIL001"}}, ORG_WIDE, True),
        ({"team_id": "T0OTHER01"}, ORG_WIDE, True),  # names no organisation
        ({"team_id": "T0HOME001"}, Workspace(team_id=None), True),  # nothing installed known
    ],
)
def test_identity_foreign_reason_table(body: dict, workspace: Workspace, refused: bool) -> None:
    assert (foreign_reason(origin_of(body), workspace) is not None) is refused


def test_identity_installed_workspace_pin_rules() -> None:
    token = {"token_team_id": "T0HOME001", "token_enterprise_id": None}
    assert installed_workspace(**token, pinned_team_id=None) == HOME
    assert installed_workspace(**token, pinned_team_id="T0HOME001") == HOME
    mismatch = installed_workspace(**token, pinned_team_id="T0OTHER01")
    assert mismatch.problem and "T0OTHER01" in mismatch.problem
    home = RequestOrigin(frozenset({"T0HOME001"}), frozenset())
    assert foreign_reason(home, mismatch) == mismatch.problem
    # an org-wide token (no team) pinned to one workspace of the organisation
    org = installed_workspace(
        token_team_id="", token_enterprise_id="E0HOME001", pinned_team_id="T0HOME001"
    )
    assert org == GRID_HOME and org.problem is None

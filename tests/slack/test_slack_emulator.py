"""The Slack harness itself, exercised through the production Notifier and AsyncWebClient."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from bot.errors import NotifyError
from bot.metrics import Metrics
from bot.slack.blocks import Message
from bot.slack.client import build_web_client
from bot.slack.notifier import Notifier
from tests.slackkit import SlackEmulator
from tests.slackkit.fixtures import BOT_TOKEN


def _notifier(emulator: SlackEmulator, token: str = BOT_TOKEN) -> Notifier:
    slack = SlackSettings(
        bot_token=None, signing_secret=None, app_token=None, api_url=emulator.api_url
    )
    return Notifier(build_web_client(slack, token=token), metrics=Metrics())


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(**over: object) -> dict:
    return {
        "type": "button",
        "action_id": "plan.approve",
        "text": {"type": "plain_text", "text": "Approve"},
        **over,
    }


async def test_emulator_records_post_and_update_with_full_bodies(
    slack_emulator: SlackEmulator,
) -> None:
    notifier = _notifier(slack_emulator)
    blocks = [_section("*hello*"), {"type": "actions", "elements": [_button(value="42")]}]
    ts = await notifier.post_message("C0OPS0001", Message("hello", blocks))
    call = await slack_emulator.wait_for("chat.postMessage")
    assert call.args["channel"] == "C0OPS0001" and call.args["blocks"] == blocks
    assert call.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    await notifier.update_message("C0OPS0001", ts, Message("bye", [_section("bye")]))
    assert slack_emulator.messages[("C0OPS0001", ts)]["text"] == "bye"
    with pytest.raises(NotifyError) as caught:
        await notifier.update_message("C0OPS0001", "1.000001", Message("x"))
    assert caught.value.context["error"] == "message_not_found"


@pytest.mark.parametrize(
    "blocks",
    [
        [_section("x")] * 51,
        [_section("x" * 3001)],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [{"type": "actions", "elements": [_button(text={"type": "plain_text", "text": "b" * 76})]}],
        [{"type": "actions", "elements": [_button(value="v" * 2001)]}],
        [{"type": "actions", "elements": [_button(action_id="a" * 256)]}],
        [{**_section("x"), "block_id": "b" * 256}],
        [{"type": "actions", "elements": [_button(action_id=f"a{i}") for i in range(26)]}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        [{"type": "no_such_block"}],
    ],
    ids=[
        "51-blocks",
        "section-3001",
        "header-151",
        "button-text-76",
        "value-2001",
        "action-id-256",
        "block-id-256",
        "actions-26",
        "fields-11",
        "unknown-type",
    ],
)
async def test_emulator_rejects_blocks_beyond_block_kit_limits(
    slack_emulator: SlackEmulator, blocks: list[dict]
) -> None:
    notifier = _notifier(slack_emulator)
    with pytest.raises(NotifyError) as caught:
        await notifier.post_message("C0OPS0001", Message("x", blocks))
    assert caught.value.context == {"method": "chat.postMessage", "error": "invalid_blocks"}
    call = slack_emulator.calls_to("chat.postMessage")[0]
    assert call.response["response_metadata"]["messages"]


async def test_emulator_validates_modals_and_trigger_ids(slack_emulator: SlackEmulator) -> None:
    notifier = _notifier(slack_emulator)
    title = {"type": "plain_text", "text": "Reject plan"}
    input_block = {
        "type": "input",
        "block_id": "reject.reason",
        "label": {"type": "plain_text", "text": "Why?"},
        "element": {"type": "plain_text_input", "action_id": "reason"},
    }
    bad_views = [
        {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []},
        {"type": "modal", "title": title, "blocks": [input_block]},  # input without submit
        {"type": "modal", "title": title, "blocks": [], "private_metadata": "m" * 3001},
    ]
    for i, view in enumerate(bad_views):
        with pytest.raises(NotifyError) as caught:
            await notifier.open_view(f"trigger-{i}", view)
        assert caught.value.context["error"] == "invalid_arguments"
    good = {
        "type": "modal",
        "title": title,
        "submit": {"type": "plain_text", "text": "Reject"},
        "callback_id": "plan.reject",
        "blocks": [input_block],
    }
    view_id = await notifier.open_view("trigger-ok", good)
    assert slack_emulator.views[view_id]["callback_id"] == "plan.reject"
    with pytest.raises(NotifyError) as caught:
        await notifier.open_view("trigger-ok", good)
    assert caught.value.context["error"] == "exchanged_trigger_id"


async def test_emulator_rejects_unknown_methods_and_bad_tokens(
    slack_emulator: SlackEmulator,
) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_emulator.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.api_call("chat.nonsense")
    assert caught.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as caught:
        await AsyncWebClient(base_url=slack_emulator.api_url).auth_test()
    assert caught.value.response["error"] == "not_authed"
    with pytest.raises(NotifyError) as refused:
        await _notifier(slack_emulator, token="xoxb-wrong").auth_test()
    assert refused.value.context["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="", text="x")
    assert caught.value.response["error"] == "channel_not_found"


async def test_notifier_retries_a_rate_limit_then_succeeds(slack_emulator: SlackEmulator) -> None:
    slack_emulator.rate_limit("chat.postMessage", retry_after=1)
    await _notifier(slack_emulator).post_message("C0OPS0001", Message("hi"))
    statuses = [c.status for c in slack_emulator.calls_to("chat.postMessage")]
    assert statuses == [429, 200]


async def test_notifier_retries_server_errors_then_succeeds(slack_emulator: SlackEmulator) -> None:
    slack_emulator.server_error("chat.postEphemeral", status=503)
    await _notifier(slack_emulator).post_ephemeral("C0OPS0001", "U0ALICE01", Message("psst"))
    assert [c.status for c in slack_emulator.calls_to("chat.postEphemeral")] == [503, 200]


async def test_notifier_turns_scripted_errors_into_notify_error(
    slack_emulator: SlackEmulator,
) -> None:
    slack_emulator.fail("chat.postMessage", "channel_not_found", times=2)
    metrics = Metrics()
    slack = SlackSettings(None, None, None, slack_emulator.api_url)
    notifier = Notifier(build_web_client(slack, token=BOT_TOKEN), metrics=metrics)
    for _ in range(2):
        with pytest.raises(NotifyError) as caught:
            await notifier.post_message("C0NOPE001", Message("x"))
        assert "channel_not_found" in caught.value.user_message()
    assert metrics.api_errors.value(method="chat.postMessage", error="channel_not_found") == 2
    await notifier.post_message("C0OPS0001", Message("third time works"))


async def test_notifier_uploads_through_the_v2_flow(slack_emulator: SlackEmulator) -> None:
    content = "# Alignment report\n\nIN SYNC\n" * 50
    file_id = await _notifier(slack_emulator).upload_file(
        "C0OPS0001", filename="report.md", content=content, initial_comment="done"
    )
    assert slack_emulator.uploaded_file(file_id) == content.encode()
    methods = [c.method for c in slack_emulator.api_calls()]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    upload = slack_emulator.calls_to("upload")[0]
    assert "authorization" not in upload.headers
    complete = slack_emulator.calls_to("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == "C0OPS0001"
    assert complete.args["files"][0]["id"] == file_id
    assert complete.args["initial_comment"] == "done"


async def test_notifier_respond_uses_the_response_url_at_most_five_times(
    slack_emulator: SlackEmulator,
) -> None:
    notifier = _notifier(slack_emulator)
    url = slack_emulator.new_response_url()
    for i in range(5):
        await notifier.respond(url, Message(f"reply {i}"), replace_original=i > 0)
    with pytest.raises(NotifyError) as caught:
        await notifier.respond(url, Message("one too many"))
    assert caught.value.context["error"] == "used_url"
    first = slack_emulator.calls_to("response_url")[0]
    assert first.args == {
        "text": "reply 0",
        "response_type": "ephemeral",
        "replace_original": False,
    }


async def test_notifier_lookups_users_groups_and_paginated_members(
    slack_emulator: SlackEmulator,
) -> None:
    members = [f"U{i:08d}" for i in range(450)]
    slack_emulator.channel_members["C0OPS0001"] = members
    slack_emulator.usergroups["S0REVIEW1"] = ["U0BOB0002"]
    slack_emulator.users["U0GONE001"] = {"id": "U0GONE001", "name": "gone", "deleted": True}
    notifier = _notifier(slack_emulator)
    assert await notifier.channel_members("C0OPS0001") == members
    assert len(slack_emulator.calls_to("conversations.members")) == 3
    assert await notifier.usergroup_members("S0REVIEW1") == ["U0BOB0002"]
    assert (await notifier.user_info("U0GONE001"))["deleted"] is True
    assert (await notifier.user_info("U0ALICE01"))["name"] == "u0alice01"
    with pytest.raises(NotifyError):
        await notifier.usergroup_members("S0MISSING")


async def test_wait_for_times_out_naming_what_it_saw(slack_emulator: SlackEmulator) -> None:
    await _notifier(slack_emulator).auth_test()
    with pytest.raises(TimeoutError, match=r"no matching chat.postMessage call.*auth.test"):
        await slack_emulator.wait_for("chat.postMessage", timeout=0.2)

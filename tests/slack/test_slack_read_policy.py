"""The read policy (``access.readers``) for ``/align status|history|report|verify``, through the
real HTTP endpoint with signed commands: a user who is not a reader tries to read run history."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from bot.store import Store
from tests.slackkit import DriverResponse, SlackEmulator

from .custom_bot import custom_bot

MALLORY, READER, BOB, CAROL = "U0MALLORY9", "U0READER1", "U0BOB0002", "U0CAROL03"
READERS = 'readers = ["U0READER1", "S0READERS1"]'


async def _reply(emulator: SlackEmulator, resp: DriverResponse) -> str:
    path = urlsplit(resp.response_url or "").path
    call = await emulator.wait_for("response_url", lambda c: c.path == path)
    return str(call.args.get("text", ""))


async def test_read_policy_non_reader_is_refused_history_and_status(
    tmp_path: Path, slack_environ: dict[str, str], state_store: Store, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.usergroups["S0READERS1"] = [CAROL]
    async with custom_bot(
        tmp_path, slack_environ, state_store, slack_emulator, access=READERS
    ) as bot:
        await state_store.create_run(
            target="prod", mode="builtin", requested_by=BOB, requested_via="slack"
        )
        for text in ("history", "status", "history prod"):
            refused = await _reply(slack_emulator, await bot.driver.command(text, user=MALLORY))
            assert refused.startswith(":warning:") and "not in access.readers" in refused, text
        for user in (READER, CAROL, BOB):  # a reader, a reader by group, a reviewer
            allowed = await _reply(slack_emulator, await bot.driver.command("history", user=user))
            assert allowed.startswith("History of all targets: 1 runs"), (user, allowed)
        helped = await bot.driver.command("help", user=MALLORY)  # help stays open
        assert "/align" in helped.text
        await bot.bundle.deps.supervisor.wait_idle(5)
    refusals = [e for e in await state_store.audit_events() if e.action.endswith(".refused")]
    assert [(e.actor, e.action) for e in refusals] == [
        (MALLORY, "command.history.refused"),
        (MALLORY, "command.status.refused"),
        (MALLORY, "command.history.refused"),
    ]


async def test_read_policy_empty_readers_lets_anyone_in_the_workspace_read(
    tmp_path: Path, slack_environ: dict[str, str], state_store: Store, slack_emulator: SlackEmulator
) -> None:
    async with custom_bot(tmp_path, slack_environ, state_store, slack_emulator) as bot:
        await state_store.create_run(
            target="prod", mode="builtin", requested_by=BOB, requested_via="slack"
        )
        shown = await _reply(slack_emulator, await bot.driver.command("history", user=MALLORY))
        assert shown.startswith("History of all targets: 1 runs"), shown


async def test_read_policy_unresolvable_reader_group_fails_closed(
    tmp_path: Path, slack_environ: dict[str, str], state_store: Store, slack_emulator: SlackEmulator
) -> None:
    """Slack cannot say who is in the readers group: a member is refused, and told why."""
    slack_emulator.usergroups["S0READERS1"] = [CAROL]
    slack_emulator.fail("usergroups.users.list", "ratelimited", times=10)
    async with custom_bot(
        tmp_path, slack_environ, state_store, slack_emulator, access=READERS
    ) as bot:
        refused = await _reply(slack_emulator, await bot.driver.command("history", user=CAROL))
    assert "not in access.readers" in refused and "could not be resolved" in refused

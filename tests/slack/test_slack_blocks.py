"""Pure Block Kit builders and command parsing: no event loop, no Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack import blocks
from bot.store.records import Run
from bot.workflow.run import RunState
from handlers.commands import SUBCOMMANDS, HelpRequest, StatusRequest, parse_command
from tests.slackkit import block_problems

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _run(run_id: str, *, target: str = "prod", state: RunState = RunState.DONE, **kw) -> Run:
    created = kw.pop("created_at", NOW - timedelta(hours=3))
    return Run(id=run_id, target=target, mode="builtin", state=state, requested_by="U0ALICE01",
               requested_via="slack", created_at=created, updated_at=created, **kw)  # fmt: skip


def test_parse_command_maps_text_to_typed_requests() -> None:
    assert parse_command("") == HelpRequest()
    assert parse_command("  HELP ") == HelpRequest()
    assert parse_command("status") == StatusRequest()
    assert parse_command("status 20261124-3f9a1c") == StatusRequest("20261124-3f9a1c")
    assert parse_command("status a b") == HelpRequest("`status` takes at most one run id.")
    assert parse_command("deploy <!channel>") == HelpRequest("Unknown subcommand `deploy`.")
    assert parse_command("<!channel>").problem == "Unknown subcommand `&lt;!channel&gt;`."


def test_help_message_lists_every_subcommand_within_limits() -> None:
    message = blocks.help_message(
        [s.help for s in SUBCOMMANDS], targets=["staging", "prod"], problem="Unknown `x`."
    )
    assert block_problems(message.blocks) == []
    text = "\n".join(b["text"]["text"] for b in message.blocks if "text" in b)
    for sub in SUBCOMMANDS:
        assert sub.help.usage in text
    assert message.text.startswith("Unknown `x`.")
    assert "`prod`, `staging`" in message.blocks[-1]["elements"][0]["text"]


def test_format_age_reads_like_a_human() -> None:
    assert blocks.format_age(NOW - timedelta(seconds=5), NOW) == "just now"
    assert blocks.format_age(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert blocks.format_age(NOW - timedelta(hours=3, minutes=59), NOW) == "3h ago"
    assert blocks.format_age(NOW - timedelta(days=2), NOW) == "2d ago"
    assert blocks.format_age(NOW + timedelta(minutes=1), NOW) == "just now"


def test_status_message_orders_configured_targets_and_stays_within_limits() -> None:
    runs = {
        "prod": [_run("r-2", state=RunState.AWAITING_REVIEW), _run("r-1", outcome="IN SYNC")],
        "zzz-old": [_run("r-0", target="zzz-old", state=RunState.FAILED)],
    }
    message = blocks.status_message(runs, targets=["staging", "prod"], now=NOW)
    assert block_problems(message.blocks) == []
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert sections[1].startswith("*staging*\n_no runs yet_")
    assert "`r-2` *awaiting_review*" in sections[2] and "(IN SYNC)" in sections[2]
    assert sections[3].startswith("*zzz-old*")
    assert "3h ago" in sections[2]


def test_status_message_with_many_targets_never_exceeds_fifty_blocks() -> None:
    runs = {f"t{i:03d}": [_run(f"r{i}", target=f"t{i:03d}")] for i in range(80)}
    message = blocks.status_message(runs, targets=[], now=NOW)
    assert block_problems(message.blocks) == []


def test_run_detail_escapes_and_clips_untrusted_text() -> None:
    run = _run("r-9", state=RunState.FAILED, error="<boom> & " + "x" * 5000,
               sql_sha256="ab" * 32, finished_at=NOW)  # fmt: skip
    message = blocks.run_detail_message(run, now=NOW)
    assert block_problems(message.blocks) == []
    error_text = message.blocks[1]["text"]["text"]
    assert "&lt;boom&gt; &amp;" in error_text and "<boom>" not in error_text
    assert "`abababababababab…`" in message.blocks[0]["text"]["text"]


def test_error_message_escapes_user_text() -> None:
    message = blocks.error_message("target <prod> is busy & locked")
    assert message.text == ":warning: target &lt;prod&gt; is busy &amp; locked"
    assert block_problems(message.blocks) == []

"""Every refusal is audited (who, what, why) and ``/align history`` shows refusals to reviewers
(issue 12: refused actions used to leave no trace). Written as the probe: someone who may do
nothing tries every action; each try is refused, recorded, and visible to reviewers only."""

from __future__ import annotations

from bot.slack import ids
from bot.workflow.run import RunState

from .flow import ALICE, BOB, MALLORY, MakeFlow, block_text
from .flow import make_flow as make_flow


async def _history_text(flow, user: str) -> str:  # type: ignore[no-untyped-def]
    resp = await flow.driver.command("history prod", user=user)
    call = await flow.slack.wait_for(
        "response_url", lambda c: c.path.endswith(resp.response_url.rsplit("/", 1)[-1])
    )
    return str(call.args.get("text", "")) + "\n" + block_text(call.args)


async def test_refused_commands_clicks_and_notes_are_audited_and_shown_to_reviewers(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review(user=ALICE)

    await flow.driver.command("start prod", user=MALLORY)  # not a requester
    await flow.driver.command(f"cancel {run.id}", user=MALLORY)  # neither requester nor reviewer
    await flow.driver.command("start prod", user=ALICE)  # allowed, but the target is busy
    await flow.click(ids.ACTION_RERUN, run.id, user=MALLORY)
    await flow.click(ids.ACTION_RESTORE, run.id, user=MALLORY)
    block, action = ids.INPUT_NOTE
    await flow.submit(
        ids.VIEW_MANUAL,
        run.id,
        {block: {action: {"type": "plain_text_input", "value": "I fixed prod by hand"}}},
        user=MALLORY,
    )
    await flow.settle()

    refused = [e for e in await flow.store.audit_events() if e.action.endswith(".refused")]
    seen = {(e.actor, e.action) for e in refused}
    assert {
        (MALLORY, "command.start.refused"),
        (MALLORY, "command.cancel.refused"),
        (ALICE, "command.start.refused"),
        (MALLORY, f"click.{ids.ACTION_RERUN}.refused"),
        (MALLORY, f"click.{ids.ACTION_RESTORE}.refused"),
        (MALLORY, "view.manual.refused"),
    } <= seen, seen
    for event in refused:
        assert event.detail.get("why"), event
        assert event.target == "prod", event
    busy = next(e for e in refused if e.actor == ALICE)
    assert run.id in busy.detail["why"] or "busy" in busy.detail["why"]

    # Nothing was done by any of them.
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert len(await flow.store.list_runs()) == 1
    assert await flow.store.recovery_actions(run.id) == []

    shown_to_reviewer = await _history_text(flow, BOB)
    assert "Refused recently" in shown_to_reviewer
    assert f"<@{MALLORY}>" in shown_to_reviewer and "command.start" in shown_to_reviewer
    assert "view.manual" in shown_to_reviewer
    shown_to_requester = await _history_text(flow, ALICE)
    assert run.id in shown_to_requester and "Refused recently" not in shown_to_requester

"""Two replicas on one store (a rolling deploy): the run is started on one, Slack is down for
posts while it reaches review, that replica stops mid-run, the reviewer's Approve (a signed
request) reaches the other, and the run finishes with every post delivered exactly once."""

from __future__ import annotations

from collections import Counter

from bot.slack import ids
from bot.workflow.run import RunState
from tests.slackkit.emulator import Call

from .flow import ALICE, BOB, block_text
from .replicas import MakeReplicas
from .replicas import make_replicas as make_replicas


def _kind(call: Call) -> str:
    """What a chat.postMessage was: the run message, a review card, a failure notice, a note."""
    if not call.args.get("thread_ts"):
        return "run message"
    if any(b.get("block_id") == ids.BLOCK_CARD_ACTIONS for b in call.args.get("blocks") or []):
        return "review card"
    if "needs attention" in call.args.get("text", "") or "failed at step" in block_text(call.args):
        return "failure"
    return "other"


async def test_two_replicas_approve_on_the_other_while_the_first_stops_mid_run(
    make_replicas: MakeReplicas,
) -> None:
    cluster = await make_replicas()
    first = await cluster.start_replica()
    second = await cluster.start_replica()
    cluster.slack.server_error("chat.postMessage", times=100_000)

    started = await first.flow.driver.command("start prod", user=ALICE)
    assert started.status == 200
    run = await first.flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
    await cluster.slack.wait_for("chat.postMessage", timeout=20)
    await first.stop()  # mid-run: the run holds the target, its posts are still owed

    cluster.slack.recover()
    flow = second.flow
    await flow.settle(timeout=60)  # the live replica delivers what the stopped one owed
    await flow.click(ids.ACTION_APPROVE, run.id, user=BOB)  # signed, to the second replica
    done = await flow.wait_state(run.id, RunState.DONE, timeout=60)
    await flow.settle(timeout=60)

    assert done.outcome == "IN SYNC"
    [decision] = await flow.store.decisions(run.id)
    assert (decision.decision, decision.user_id, decision.plan_id) == ("approved", BOB, run.plan_id)
    posts = Counter(_kind(c) for c in cluster.slack.calls_to("chat.postMessage") if c.ok)
    assert posts == Counter({"run message": 1, "review card": 1}), posts
    uploads = Counter(
        str(c.args.get("initial_comment") or "").split(":")[0].split(" for run")[0]
        for c in cluster.slack.calls_to("files.completeUploadExternal")
        if c.ok
    )
    assert uploads == Counter({"Full SQL under review": 1, "Alignment report": 1}), uploads
    assert "Approved" in block_text(flow.card(run.id))
    shown = block_text(await flow.run_message(run.id))
    assert "IN SYNC" in shown and "Slack refused" not in shown
    assert await flow.store.outbox_items(run.id, state="pending") == []
    assert await flow.store.outbox_items(run.id, state="failed") == []
    assert flow.bundle.deps.supervisor.failures == 0

"""The durable Slack outbox, attacked: the bot restarts while Slack is down, Slack refuses one
item for good, a replica dies holding a lease, two replicas race for the same rows, and an apply
floods the run message with progress. Real PostgreSQL, the real app, the Slack emulator."""

from __future__ import annotations

import asyncio
import re

from bot.slack import ids
from bot.store import Store
from bot.store.outbox import Owed
from bot.workflow.run import RunState
from tests.slackkit.emulator import Call

from .flow import ALICE, BOB, CHANNEL, MakeFlow, block_text
from .flow import make_flow as make_flow
from .replicas import MakeReplicas
from .replicas import make_replicas as make_replicas


def _is_card(call: Call) -> bool:
    return any(b.get("block_id") == ids.BLOCK_CARD_ACTIONS for b in call.args.get("blocks") or [])


def _posted(calls: list[Call]) -> tuple[list[Call], list[Call]]:
    """Successful chat.postMessage calls: (top-level run messages, review cards)."""
    ok = [c for c in calls if c.method == "chat.postMessage" and c.ok]
    return [c for c in ok if not c.args.get("thread_ts")], [c for c in ok if _is_card(c)]


async def _wait_owed(store: Store, run_id: str, *kinds: Owed) -> list[Owed]:
    async with asyncio.timeout(20):
        while True:
            owed = [i.kind for i in await store.outbox_items(run_id, state="pending")]
            if all(k in owed for k in kinds):
                return owed
            await asyncio.sleep(0.05)


async def test_outbox_restart_while_slack_is_down_posts_message_and_card_once_in_order(
    make_replicas: MakeReplicas,
) -> None:
    cluster = await make_replicas()
    cluster.slack.server_error("chat.postMessage", times=100_000)  # Slack is down for posts
    first = await cluster.start_replica()
    resp = await first.flow.driver.command("start prod", user=ALICE)
    assert resp.status == 200
    run = await first.flow.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
    await cluster.slack.wait_for("chat.postMessage", timeout=20)  # it tried, Slack said 500
    owed = await _wait_owed(first.flow.store, run.id, Owed.RUN_MESSAGE, Owed.CARD, Owed.SQL_UPLOAD)
    assert owed.index(Owed.RUN_MESSAGE) < owed.index(Owed.CARD) < owed.index(Owed.SQL_UPLOAD)

    await first.stop()  # the bot restarts while Slack is still down
    assert _posted(cluster.slack.calls) == ([], [])
    second = await cluster.start_replica()
    cluster.slack.recover()  # Slack answers again
    await second.flow.settle(timeout=60)

    tops, cards = _posted(cluster.slack.calls)
    assert len(tops) == 1 and len(cards) == 1, "the run message and the card, once each"
    run = await second.flow.store.get_run(run.id)
    assert run is not None and run.message_ts == tops[0].response["ts"]
    assert cards[0].args["thread_ts"] == run.message_ts
    assert cluster.slack.calls.index(tops[0]) < cluster.slack.calls.index(cards[0])
    sql = [
        c
        for c in cluster.slack.calls_to("files.completeUploadExternal")
        if c.ok and c.args.get("thread_ts") == run.message_ts
    ]
    assert len(sql) == 1
    assert await second.flow.store.outbox_items(run.id, state="pending") == []

    busy = await second.flow.driver.command("start prod", user=BOB)
    assert busy.status == 200
    await second.flow.settle()
    answer = [t for t in second.flow.ephemerals() if "busy" in t][-1]
    links = re.findall(r"https://\S+", answer)
    assert links, f"nothing to click in the busy answer: {answer}"
    assert links[0].endswith(f"/archives/{CHANNEL}/p{run.message_ts.replace('.', '')}")
    assert len(await second.flow.store.list_runs()) == 1


async def test_outbox_permanent_refusal_is_recorded_shown_and_the_rest_delivered(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    flow.slack.fail("files.getUploadURLExternal", "restricted_action")  # the SQL upload, for good
    run = await flow.start_review()
    await flow.settle(timeout=30)
    failed = await flow.store.outbox_items(run.id, state="failed")
    assert [(i.kind, i.error) for i in failed] == [(Owed.SQL_UPLOAD, "restricted_action")]
    audit = [
        e for e in await flow.store.audit_events(run_id=run.id) if e.action.startswith("slack")
    ]
    assert [(e.action, e.detail["kind"]) for e in audit] == [("slack.undelivered", "sql_upload")]
    shown = block_text(await flow.run_message(run.id))
    assert "Slack refused" in shown and "SQL upload" in shown and "restricted_action" in shown

    await flow.click(ids.ACTION_APPROVE, run.id)
    await flow.wait_state(run.id, RunState.DONE)
    await flow.settle(timeout=30)
    reports = [
        c
        for c in flow.slack.calls_to("files.completeUploadExternal")
        if c.ok and "Alignment report" in str(c.args.get("initial_comment"))
    ]
    assert len(reports) == 1, "items after the refused one are still delivered"
    assert "IN SYNC" in block_text(await flow.run_message(run.id))


async def test_outbox_lease_of_a_dead_replica_runs_out_and_the_item_is_delivered_once(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    await flow.settle()
    store = flow.store
    note = {"text": "note from a replica that died", "blocks": []}
    row = await store.outbox_enqueue(run.id, Owed.NOTE, note)
    dead = await store.outbox_claim("deadhost:1:dead00", lease_s=3.0, run_id=run.id)
    assert [i.id for i in dead] == [row]  # a replica leased it, then was SIGKILLed
    assert await store.outbox_claim("otherhost:2:live00", lease_s=30, run_id=run.id) == []
    await flow.settle(timeout=20)  # the live replica's loop takes it once the lease runs out
    posted = [
        c
        for c in flow.slack.calls_to("chat.postMessage")
        if c.ok and c.args.get("text") == note["text"]
    ]
    assert len(posted) == 1 and posted[0].args["thread_ts"] == run.message_ts
    [done] = [i for i in await store.outbox_items(run.id) if i.id == row]
    assert (
        done.state == "done"
        and done.attempts == 2
        and done.result == {"ts": posted[0].response["ts"]}
    )
    late = await store.outbox_done(row, "deadhost:1:dead00", result={"ts": "x"})
    assert late is False  # the dead replica's late answer cannot overwrite the delivery


async def test_outbox_two_claimers_never_share_a_run_and_keep_its_order(
    state_store: Store,
) -> None:
    store = state_store
    runs = [
        await store.create_run(
            target=f"t{n}", mode="builtin", requested_by=ALICE, requested_via="test"
        )
        for n in range(4)
    ]
    owed = {
        r.id: [await store.outbox_enqueue(r.id, Owed.NOTE, {"n": k}) for k in range(6)]
        for r in runs
    }
    in_flight: set[str] = set()
    delivered: dict[str, list[int]] = {r.id: [] for r in runs}
    overlaps: list[str] = []

    async def replica(owner: str) -> None:
        while True:
            items = await store.outbox_claim(owner, lease_s=30, limit=10)
            if not items:
                if not await store.outbox_pending():
                    return
                await asyncio.sleep(0.01)
                continue
            for item in items:
                if item.run_id in in_flight:
                    overlaps.append(item.run_id)
                in_flight.add(item.run_id)
            await asyncio.sleep(0.005)  # "calling Slack"
            for item in items:
                delivered[item.run_id].append(item.id)
                in_flight.discard(item.run_id)
                assert await store.outbox_done(item.id, owner)

    await asyncio.gather(replica("a:1:aaaaaa"), replica("b:2:bbbbbb"))
    assert overlaps == []
    assert delivered == owed  # every row once, each run in the order owed


async def test_outbox_progress_flood_makes_few_edits(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    await flow.settle()
    messenger = flow.bundle.deps.messenger
    assert messenger is not None
    edits_before = len(flow.slack.calls_to("chat.update"))
    for done in range(1, 2001):
        await messenger(run, "apply_progress", {"done": done, "total": 2000})
    await flow.settle(timeout=30)
    renders = [i for i in await flow.store.outbox_items(run.id) if i.kind is Owed.RENDER]
    edits = len(flow.slack.calls_to("chat.update")) - edits_before
    assert 1 <= edits <= 50, edits  # 2,000 events, a handful of edits
    assert all(i.state == "done" for i in renders)

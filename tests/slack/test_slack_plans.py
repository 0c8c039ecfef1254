"""A stale card never applies a plan nobody saw: attacks through the real HTTP endpoint with
correctly signed requests, against real databases. A card whose update never reached Slack, a
dialog opened before a re-diff, a forged plan id: each is refused, nothing is applied, and the
audit log names the plan the click carried."""

from __future__ import annotations

import asyncpg

from bot.slack import ids
from bot.workflow.run import RunState

from .flow import BOB, CAROL, DESTRUCTIVE_DEV, Flow, MakeFlow
from .flow import make_flow as make_flow

TYPED_PROD = {ids.INPUT_CONFIRM_TARGET[0]: {ids.INPUT_CONFIRM_TARGET[1]: {"value": "prod"}}}


async def _exists(flow: Flow, relation: str) -> bool:
    conn = await asyncpg.connect(flow.prod)
    try:
        return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", relation))
    finally:
        await conn.close()


async def _rediffed(flow: Flow, run_id: str, old_plan: str):
    return await flow.wait_run(
        lambda r: r.state is RunState.AWAITING_REVIEW and r.plan_id not in (None, old_plan),
        run_id,
    )


async def test_plans_approve_on_a_stale_card_is_refused_and_the_new_plan_is_not_applied(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    old_plan = run.plan_id
    assert flow.card_value(run.id, ids.ACTION_APPROVE) == old_plan  # the button carries the plan
    await flow.prod_execute("CREATE TABLE surprise (id int)")
    await flow.click(ids.ACTION_APPROVE, run.id, user=CAROL)  # finds production moved: re-diff
    new = await _rediffed(flow, run.id, old_plan)
    # Bob still looks at the old card (its chat.update never reached him) and approves it.
    resp = await flow.click(ids.ACTION_APPROVE, run.id, user=BOB, value=old_plan)
    assert resp.status == 200
    await flow.settle()
    now = await flow.store.get_run(run.id)
    assert now.state is RunState.AWAITING_REVIEW and now.plan_id == new.plan_id
    assert not [s for s in await flow.store.steps(run.id) if s.name == "apply"]
    assert await _exists(flow, "public.surprise")  # the new plan would drop it: not applied
    assert any(f"replaced by plan {new.plan_id}" in text for text in flow.ephemerals())
    refused = [e for e in await flow.store.audit_events(run_id=run.id) if e.actor == BOB]
    assert refused and all(e.plan_id == old_plan for e in refused)
    assert "decision.approved.refused" in [e.action for e in refused]
    assert not await flow.store.decisions(run.id)
    # The new card carries the new plan, and approving it works.
    assert flow.card_value(run.id, ids.ACTION_APPROVE) == new.plan_id


async def test_plans_destructive_dialog_opened_before_a_rediff_cannot_approve_the_new_plan(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow(dev=DESTRUCTIVE_DEV)
    run = await flow.start_review()
    old_plan = run.plan_id
    await flow.click(ids.ACTION_APPROVE, run.id, user=BOB)  # opens the type-the-name dialog
    opened = await flow.slack.wait_for("views.open")
    assert opened.args["view"]["private_metadata"] == old_plan
    await flow.prod_execute("CREATE TABLE surprise (id int)")
    await flow.click(ids.ACTION_APPROVE, run.id, user=CAROL)
    await flow.submit(ids.VIEW_APPROVE_DESTRUCTIVE, run.id, TYPED_PROD, user=CAROL)
    new = await _rediffed(flow, run.id, old_plan)
    # Bob submits the dialog he opened before the re-diff, typing the name correctly.
    resp = await flow.submit(
        ids.VIEW_APPROVE_DESTRUCTIVE, run.id, TYPED_PROD, user=BOB, metadata=old_plan
    )
    assert resp.status == 200
    await flow.settle()
    now = await flow.store.get_run(run.id)
    assert now.state is RunState.AWAITING_REVIEW and now.plan_id == new.plan_id
    assert await _exists(flow, "public.surprise") and not await flow.store.decisions(run.id)


async def test_plans_a_forged_or_missing_plan_id_is_refused(make_flow: MakeFlow) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    for value in (f"{run.id}.p7", run.id):  # a plan that does not exist; a bare run id
        resp = await flow.click(ids.ACTION_APPROVE, run.id, user=BOB, value=value)
        assert resp.status == 200
    await flow.settle()
    assert (await flow.store.get_run(run.id)).state is RunState.AWAITING_REVIEW
    assert not await flow.store.decisions(run.id)
    texts = flow.ephemerals()
    assert any("no plan of run" in t for t in texts) and any("names no plan" in t for t in texts)


async def test_plans_reject_on_a_stale_card_does_not_close_the_new_review(
    make_flow: MakeFlow,
) -> None:
    flow = await make_flow()
    run = await flow.start_review()
    old_plan = run.plan_id
    await flow.prod_execute("CREATE TABLE surprise (id int)")
    await flow.click(ids.ACTION_APPROVE, run.id, user=CAROL)
    new = await _rediffed(flow, run.id, old_plan)
    reason = {ids.INPUT_REASON[0]: {ids.INPUT_REASON[1]: {"value": "no"}}}
    await flow.submit(ids.VIEW_REJECT, run.id, reason, user=BOB, metadata=old_plan)
    await flow.settle()
    now = await flow.store.get_run(run.id)
    assert now.state is RunState.AWAITING_REVIEW and now.plan_id == new.plan_id

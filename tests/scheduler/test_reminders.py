"""Review reminders, deferred reminders and approval expiry, driven by an injected clock."""

from __future__ import annotations

from datetime import timedelta

from bot.jobs.reminders import expire_approvals, remind_reviews
from bot.store import Run
from bot.workflow.run import RunState

from .conftest import CHANNEL

THREAD = "1732400000.000100"


async def _run_in(env, state: RunState, **fields) -> Run:
    run = await env.store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="slack",
        channel=CHANNEL,
    )  # fmt: skip
    await env.store.update_run(run.id, message_ts=THREAD)
    moved = await env.store.transition(
        run.id, from_states=[RunState.REQUESTED], to_state=state, **fields
    )
    assert moved is not None
    return moved


async def test_reminders_nudge_reviewers_at_most_hourly_in_the_thread(jobs_env) -> None:
    ttl = timedelta(seconds=jobs_env.settings.timeouts.approval_ttl_s)
    run = await _run_in(
        jobs_env, RunState.AWAITING_REVIEW, approval_expires_at=jobs_env.clock.now() + ttl
    )
    jobs_env.clock.advance(minutes=10)
    assert await remind_reviews(jobs_env.deps) == {"review": [], "deferred": []}
    jobs_env.clock.advance(minutes=21)
    assert await remind_reviews(jobs_env.deps) == {"review": [run.id], "deferred": []}
    [post] = jobs_env.posts()
    assert post["thread_ts"] == THREAD and post["channel"] == CHANNEL
    body = str(post["blocks"])
    assert "<@U0BOB0002>" in body and "<!subteam^S0REVIEW1>" in body and run.id in body

    jobs_env.clock.advance(minutes=30)
    assert (await remind_reviews(jobs_env.deps))["review"] == []
    jobs_env.clock.advance(minutes=31)
    assert (await remind_reviews(jobs_env.deps))["review"] == [run.id]
    stored = await jobs_env.store.get_run(run.id)
    assert stored is not None and stored.data["reminders"]["review_count"] == 2
    actions = [e.action for e in await jobs_env.store.audit_events(run_id=run.id)]
    assert actions.count("reminder.review") == 2


async def test_reminders_deferred_run_reminded_once_at_its_time(jobs_env) -> None:
    remind_at = jobs_env.clock.now() + timedelta(hours=1)
    run = await _run_in(jobs_env, RunState.DEFERRED, remind_at=remind_at)
    await jobs_env.store.record_decision(
        run.id, decision="deferred", user_id="U0BOB0002", reason="after the release freeze",
        remind_at=remind_at,
    )  # fmt: skip
    jobs_env.clock.advance(minutes=59)
    assert (await remind_reviews(jobs_env.deps))["deferred"] == []
    jobs_env.clock.advance(minutes=2)
    assert (await remind_reviews(jobs_env.deps))["deferred"] == [run.id]
    jobs_env.clock.advance(hours=3)
    assert (await remind_reviews(jobs_env.deps))["deferred"] == []
    [post] = jobs_env.posts()
    assert "after the release freeze" in str(post["blocks"]) and "<@U0BOB0002>" in str(
        post["blocks"]
    )


async def test_expiry_notice_posted_once_and_expired_runs_not_reminded(jobs_env) -> None:
    expires = jobs_env.clock.now() + timedelta(hours=2)
    run = await _run_in(jobs_env, RunState.AWAITING_REVIEW, approval_expires_at=expires)
    jobs_env.clock.advance(minutes=119)
    assert await expire_approvals(jobs_env.deps) == {"expired": []}
    jobs_env.clock.advance(minutes=2)
    assert await expire_approvals(jobs_env.deps) == {"expired": [run.id]}
    assert await expire_approvals(jobs_env.deps) == {"expired": []}
    assert (await remind_reviews(jobs_env.deps))["review"] == []  # expired: no nudge
    [post] = jobs_env.posts()
    assert "fresh diff" in str(post["blocks"]) and post["thread_ts"] == THREAD
    events = [e for e in await jobs_env.store.audit_events(run_id=run.id)]
    assert [e.detail["expired_at"] for e in events if e.action == "review.expired"] == [
        expires.isoformat()
    ]

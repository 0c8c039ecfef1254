"""Drift watch on real databases: silent while in sync, one alert per distinct drift."""

from __future__ import annotations

from bot.jobs.drift_watch import watch_drift
from bot.slack import ids
from bot.slack.replies import drift_message
from bot.workflow.drift import check_drift

from .conftest import CHANNEL


def _buttons(post: dict) -> list[dict]:
    return [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def test_drift_watch_in_sync_posts_nothing(jobs_env) -> None:
    assert await watch_drift(jobs_env.deps) == {"prod": "in_sync"}
    assert jobs_env.posts() == []
    state = await jobs_env.store.drift_state("prod")
    assert state is not None and state.in_sync and state.signature is None
    metrics = jobs_env.deps.metrics
    assert metrics.drift_checks.value(target="prod", result="in_sync") == 1
    assert metrics.drift_statements.value(target="prod") == 0


async def test_drift_watch_alerts_once_per_distinct_drift(jobs_env) -> None:
    await watch_drift(jobs_env.deps)
    await jobs_env.prod_execute("ALTER TABLE users ADD COLUMN nickname text")

    assert await watch_drift(jobs_env.deps) == {"prod": "drift"}
    posts = jobs_env.posts()
    assert len(posts) == 1
    alert = posts[0]
    assert alert["channel"] == CHANNEL
    assert "Drift detected on prod" in alert["text"] and "1 destructive" in alert["text"]
    assert "nickname" in str(alert["blocks"])
    [button] = _buttons(alert)
    assert button["action_id"] == ids.ACTION_DRIFT_START and button["value"] == "prod"

    jobs_env.clock.advance(minutes=30)
    assert await watch_drift(jobs_env.deps) == {"prod": "drift"}
    assert len(jobs_env.posts()) == 1  # same drift: silent

    await jobs_env.prod_execute("ALTER TABLE orders DROP COLUMN total")
    await watch_drift(jobs_env.deps)
    posts = jobs_env.posts()
    assert len(posts) == 2
    assert "Drift changed on prod" in posts[1]["text"] and "2 statements" in posts[1]["text"]
    assert jobs_env.deps.metrics.drift_statements.value(target="prod") == 2
    alerts = [e for e in await jobs_env.store.audit_events() if e.action == "drift.alerted"]
    assert [e.detail["statements"] for e in alerts] == [1, 2]


async def test_drift_watch_never_calls_an_unplannable_difference_in_sync(jobs_env) -> None:
    """An object of a kind align cannot plan, in production only: no statement would align it,
    yet production differs. The watch alerts and names it; /align verify says OUT OF SYNC."""
    await jobs_env.prod_execute(
        "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi)"
    )
    assert await watch_drift(jobs_env.deps) == {"prod": "drift"}
    [alert] = jobs_env.posts()
    assert "difference(s) align cannot plan" in alert["text"], alert["text"]
    assert "range type public.floatrange (only in FROM)" in str(alert["blocks"])
    drift = await check_drift(jobs_env.deps.settings.targets["prod"])
    assert not drift.in_sync and not drift.statements
    assert "cannot plan: range type public.floatrange" in str(drift_message(drift).blocks)
    await jobs_env.prod_execute("DROP TYPE floatrange")
    assert await watch_drift(jobs_env.deps) == {"prod": "in_sync"}


async def test_drift_watch_says_back_in_sync_once(jobs_env) -> None:
    await jobs_env.prod_execute("ALTER TABLE users ADD COLUMN nickname text")
    await watch_drift(jobs_env.deps)
    await jobs_env.prod_execute("ALTER TABLE users DROP COLUMN nickname")
    assert await watch_drift(jobs_env.deps) == {"prod": "in_sync"}
    await watch_drift(jobs_env.deps)
    texts = [p["text"] for p in jobs_env.posts()]
    assert len(texts) == 2 and "back in sync" in texts[1]
    state = await jobs_env.store.drift_state("prod")
    assert state is not None and state.in_sync


async def test_drift_watch_failed_post_is_retried_next_firing(jobs_env) -> None:
    await jobs_env.prod_execute("ALTER TABLE users ADD COLUMN nickname text")
    jobs_env.slack.fail("chat.postMessage", "channel_not_found", times=1)
    assert await watch_drift(jobs_env.deps) == {"prod": "error"}
    assert jobs_env.posts() == []
    assert await watch_drift(jobs_env.deps) == {"prod": "drift"}
    assert len(jobs_env.posts()) == 1


async def test_drift_watch_skips_target_with_run_in_progress(jobs_env) -> None:
    await jobs_env.prod_execute("ALTER TABLE users ADD COLUMN nickname text")
    await jobs_env.store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="slack"
    )
    assert await watch_drift(jobs_env.deps) == {"prod": "busy"}
    assert jobs_env.posts() == []

"""Neon provider against the local API stand-in: happy paths, errors, retries, timeouts."""

from __future__ import annotations

import json
import logging

import asyncpg
import pytest

from bot.errors import SnapshotError
from bot.snapshots import DELETED, RESTORED, SnapshotInfo
from bot.snapshots.neon_client import RetryPolicy


async def test_neon_snapshot_create_poll_restore_delete(neon, make_neon_provider):
    neon.op_running_polls = 1
    provider = make_neon_provider()

    info = await provider.create(run_id="run-42")

    assert info.provider == "neon" and info.id.startswith("snap-")
    assert info.name == "align-prod-run-42"
    assert info.id in neon.snapshots
    create = neon.calls("POST", r"/branches/br-young-forest-a5b6c7d8/snapshot$")
    assert create[0].query == {"name": "align-prod-run-42"}
    # its operation was polled until finished
    [op_id] = info.detail["operation_ids"]
    assert neon.operations[op_id]["status"] == "finished"
    assert len(neon.calls("GET", f"/operations/{op_id}$")) == 2
    assert SnapshotInfo.from_json(json.loads(json.dumps(info.to_json()))) == info

    restored = await provider.restore(info)

    assert restored.status == RESTORED
    [restore_call] = neon.calls("POST", rf"/snapshots/{info.id}/restore$")
    assert restore_call.json["target_branch_id"] == neon.production_branch
    assert restore_call.json["finalize_restore"] is True
    assert all(
        neon.operations[i]["status"] == "finished" for i in restored.detail["restore_operation_ids"]
    )
    new_branch = restored.detail["production_branch_id"]
    assert neon.branches[new_branch]["name"] == "production"
    assert new_branch in restored.detail["note"]

    deleted = await provider.delete(restored)

    assert deleted.status == DELETED
    assert info.id not in neon.snapshots
    assert all(r.authorization == f"Bearer {neon.api_key}" for r in neon.requests)


async def test_neon_branch_method_create_restore_delete(neon, make_neon_provider):
    provider = make_neon_provider(method="branch")

    info = await provider.create(run_id="r1")

    assert info.id in neon.branches
    [create] = neon.calls("POST", r"/branches$")
    assert create.json == {"branch": {"parent_id": neon.production_branch, "name": "align-prod-r1"}}
    restored = await provider.restore(info)
    [restore] = neon.calls("POST", rf"/branches/{neon.production_branch}/restore$")
    assert restore.json["source_branch_id"] == info.id
    assert restore.json["preserve_under_name"].startswith("align-prod-r1-replaced-")
    assert restored.status == RESTORED
    await provider.delete(restored)
    assert info.id not in neon.branches


async def test_neon_api_error_raises_snapshot_error_with_neon_message(
    neon, make_neon_provider, caplog
):
    caplog.set_level(logging.DEBUG)
    neon.fail(
        "POST",
        r"/snapshot$",
        status=403,
        code="PERMISSION_DENIED",
        message="manual snapshots can only be taken of root branches",
    )
    provider = make_neon_provider()

    with pytest.raises(SnapshotError) as err:
        await provider.create(run_id="r1")

    text = str(err.value)
    assert "manual snapshots can only be taken of root branches" in text
    assert "PERMISSION_DENIED" in text and "HTTP 403" in text
    assert err.value.context["neon_code"] == "PERMISSION_DENIED"
    assert neon.api_key not in text
    assert neon.api_key not in caplog.text
    assert len(neon.calls("POST", r"/snapshot$")) == 1  # a 4xx is not retried


async def test_neon_error_message_echoing_the_key_is_masked(neon, make_neon_provider):
    neon.fail("POST", r"/snapshot$", status=401, message=f"invalid API key {neon.api_key}")
    with pytest.raises(SnapshotError) as err:
        await make_neon_provider().create(run_id="r1")
    assert neon.api_key not in str(err.value)
    assert "invalid API key ***" in str(err.value)


async def test_neon_rate_limit_is_retried_then_succeeds(neon, make_neon_provider):
    neon.fail("POST", r"/snapshot$", status=429, message="rate limit exceeded", times=2)
    neon.fail("GET", r"/operations/", status=429, message="rate limit exceeded", retry_after="0")

    info = await make_neon_provider().create(run_id="r1")

    assert len(neon.calls("POST", r"/snapshot$")) == 3
    assert len(neon.snapshots) == 1 and info.id in neon.snapshots


async def test_neon_rate_limit_gives_up_after_bounded_attempts(neon, make_neon_provider):
    neon.fail("POST", r"/snapshot$", status=429, message="rate limit exceeded", times=100)
    retry = RetryPolicy(attempts=3, backoff_s=0.01, request_timeout_s=2.0)

    with pytest.raises(SnapshotError, match="rate limit"):
        await make_neon_provider(retry=retry).create(run_id="r1")

    assert len(neon.calls("POST", r"/snapshot$")) == 3


async def test_neon_server_error_on_poll_is_retried(neon, make_neon_provider):
    neon.fail("GET", r"/operations/", status=503, message="service unavailable", times=2)
    info = await make_neon_provider().create(run_id="r1")
    assert info.id in neon.snapshots


async def test_neon_lost_create_response_finds_the_snapshot_instead_of_duplicating(
    neon, make_neon_provider
):
    neon.fail("POST", r"/snapshot$", status=502, message="bad gateway", after_apply=True)

    info = await make_neon_provider().create(run_id="r1")

    assert len(neon.snapshots) == 1 and info.id in neon.snapshots
    assert len(neon.calls("POST", r"/snapshot$")) == 1
    assert len(neon.calls("GET", r"/snapshots$")) == 1


async def test_neon_slow_operation_completes_after_several_polls(neon, make_neon_provider):
    neon.op_running_polls = 5

    info = await make_neon_provider().create(run_id="r1")

    [op_id] = info.detail["operation_ids"]
    assert len(neon.calls("GET", f"/operations/{op_id}$")) == 6
    assert neon.operations[op_id]["status"] == "finished"


async def test_neon_operation_never_finishing_times_out(neon, make_neon_provider):
    neon.op_never_finishes = True
    provider = make_neon_provider(operation_timeout_s=0.2)

    with pytest.raises(SnapshotError) as err:
        await provider.create(run_id="r1")

    assert "did not finish within 0.2s" in str(err.value)
    assert "create_snapshot" in str(err.value) and "running" in str(err.value)
    assert err.value.context["timed_out"] is True


async def test_neon_failed_operation_raises(neon, make_neon_provider):
    neon.op_outcome = "failed"
    neon.op_running_polls = 1

    with pytest.raises(SnapshotError) as err:
        await make_neon_provider().create(run_id="r1")

    assert "ended failed" in str(err.value)
    assert "compute failed to start" in str(err.value)


async def test_neon_slow_response_hits_request_timeout_and_is_retried(neon, make_neon_provider):
    neon.slow("GET", r"/operations/", delay_s=0.5)
    retry = RetryPolicy(attempts=3, backoff_s=0.01, request_timeout_s=0.1)

    info = await make_neon_provider(retry=retry).create(run_id="r1")

    assert info.id in neon.snapshots


async def test_neon_restore_server_error_is_not_blindly_retried(neon, make_neon_provider):
    provider = make_neon_provider()
    info = await provider.create(run_id="r1")
    neon.fail("POST", r"/restore$", status=500, message="internal error")

    with pytest.raises(SnapshotError, match="may still have been applied"):
        await provider.restore(info)

    assert len(neon.calls("POST", r"/restore$")) == 1


async def test_neon_delete_of_missing_snapshot_is_not_an_error(neon, make_neon_provider):
    provider = make_neon_provider()
    info = await provider.create(run_id="r1")
    await provider.delete(info)

    again = await provider.delete(info)

    assert again.status == DELETED


async def test_neon_open_copy_yields_branch_uri_and_deletes_branch(
    neon, make_neon_provider, make_db
):
    neon.connection_uri = await make_db("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);")
    provider = make_neon_provider()
    info = await provider.create(run_id="r7")

    async with provider.open_copy(info, schema_only=False) as url:
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM t") == 2
        finally:
            await conn.close()
        [create] = neon.calls("POST", r"/branches$")
        branch_id = next(
            b for b, v in neon.branches.items() if v["name"] == create.json["branch"]["name"]
        )

    assert create.json["branch"]["parent_id"] == neon.production_branch
    assert create.json["branch"]["parent_timestamp"] == info.to_json()["created_at"]
    assert create.json["endpoints"] == [{"type": "read_write"}]
    assert branch_id not in neon.branches
    assert neon.calls("DELETE", rf"/branches/{branch_id}$")


async def test_neon_open_copy_schema_only_empties_tables_and_cleans_up_on_error(
    neon, make_neon_provider, make_db
):
    neon.connection_uri = await make_db("CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
    provider = make_neon_provider(method="branch")
    info = await provider.create(run_id="r8")

    with pytest.raises(RuntimeError, match="rehearsal failed"):
        async with await provider.open_copy(info, schema_only=True) as url:
            conn = await asyncpg.connect(url)
            try:
                assert await conn.fetchval("SELECT count(*) FROM t") == 0
            finally:
                await conn.close()
            raise RuntimeError("rehearsal failed")

    [create] = neon.calls("POST", r"/branches$")[1:]
    assert create.json["branch"]["parent_id"] == info.id
    assert "parent_timestamp" not in create.json["branch"]
    assert set(neon.branches) == {neon.production_branch, info.id}


async def test_neon_prune_deletes_only_old_bot_snapshots(neon, make_neon_provider):
    from datetime import UTC, datetime, timedelta

    provider = make_neon_provider()
    mine = await provider.create(run_id="old")
    neon.snapshots["snap-other"] = {
        "id": "snap-other",
        "name": "someone-elses",
        "source_branch_id": neon.production_branch,
        "created_at": "2020-01-01T00:00:00Z",
        "manual": True,
    }
    neon.snapshots[mine.id]["created_at"] = "2020-01-01T00:00:00Z"
    fresh = await provider.create(run_id="new")
    leftover = neon._new_branch("align-prod-rehearsal-old", neon.production_branch)
    leftover["created_at"] = "2020-01-01T00:00:00Z"

    removed = await provider.prune(older_than=datetime.now(UTC) - timedelta(days=1))

    assert [r.id for r in removed] == [mine.id, leftover["id"]]
    assert set(neon.snapshots) == {"snap-other", fresh.id}
    assert set(neon.branches) == {neon.production_branch}


async def test_neon_rehearsal_never_uses_or_deletes_the_production_branch(neon, make_neon_provider):
    """The create call's response is lost and the branch found by name is production itself
    (someone named it like a rehearsal branch): no rehearsal on it, and it is not deleted."""
    provider = make_neon_provider()
    info = await provider.create(run_id="r9")
    neon.branches[neon.production_branch]["name"] = "align-prod-rehearsal-r9"
    neon.fail("POST", r"/branches$", status=500, times=10)

    with pytest.raises(SnapshotError, match="production branch"):
        async with provider.open_copy(info, schema_only=False):
            pytest.fail("a rehearsal must not start on the production branch")

    assert neon.production_branch in neon.branches
    assert not neon.calls("DELETE", rf"/branches/{neon.production_branch}$")
    production = SnapshotInfo(
        provider="neon",
        id=neon.production_branch,
        name="production",
        created_at=info.created_at,
        detail={"method": "branch"},
    )
    with pytest.raises(SnapshotError, match="production branch"):
        await provider.delete(production)
    assert neon.production_branch in neon.branches

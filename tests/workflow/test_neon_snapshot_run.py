"""The workflow with Neon snapshots, against the local Neon API stand-in."""

from __future__ import annotations

import pytest

from bot.config import NeonSettings, Secret
from bot.workflow.run import RunState
from tests.snapshots.neon_standin import NeonStandin


@pytest.fixture
async def neon():
    standin = await NeonStandin().start()
    yield standin
    await standin.stop()


def use_neon(wf, standin: NeonStandin, **overrides) -> None:
    settings = NeonSettings(
        api_key=Secret(standin.api_key), project_id=standin.project_id,
        branch_id=standin.production_branch, api_url=standin.api_url,
        poll_interval_s=0.01, operation_timeout_s=overrides.pop("operation_timeout_s", 5.0),
    )  # fmt: skip
    wf.with_target(snapshot="neon", neon=settings, rehearsal="off")


async def test_neon_snapshot_is_taken_before_review(wf, neon) -> None:
    neon.op_running_polls = 3  # a slow operation: polled until it finishes
    use_neon(wf, neon)
    run = await wf.until_review()
    assert run.state is RunState.AWAITING_REVIEW, run.error
    assert run.data["snapshot"]["provider"] == "neon"
    assert run.snapshot_id in neon.snapshots
    assert any(r.path.startswith(f"/projects/{neon.project_id}/operations/") for r in neon.requests)


@pytest.mark.parametrize("failure", ["api_error", "failed_operation", "timeout"])
async def test_neon_snapshot_failure_stops_the_run_before_apply(wf, neon, failure) -> None:
    overrides = {}
    if failure == "api_error":
        neon.fail(
            "POST",
            r"/snapshot$",
            status=403,
            code="permission_denied",
            message="snapshots are not allowed on this plan",
            times=10,
        )
    elif failure == "failed_operation":
        neon.op_outcome = "failed"
    else:
        neon.op_never_finishes = True
        overrides["operation_timeout_s"] = 0.3
    use_neon(wf, neon, **overrides)
    run = await wf.until_review()
    assert run.state is RunState.FAILED
    assert [s.name for s in await wf.store.steps(run.id)] == ["snapshot"]
    assert neon.api_key not in (run.error or "")
    if failure == "api_error":
        assert "snapshots are not allowed on this plan" in run.error

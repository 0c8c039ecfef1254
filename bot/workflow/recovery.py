"""Recovery: what happens after a run went wrong, and after the bot itself died.

``recover_at_startup`` resolves runs a dead process left behind (invariant 6): a run found in
``applying`` becomes ``interrupted`` and is never applied again; production is verified and the
result recorded. Runs found in verification or health checks simply finish (both are read-only);
runs found before review are interrupted (nothing was applied). The other functions are the
recovery actions people choose on a failed run, each recorded with who and when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.errors import AlignError, RunRefused, SnapshotError
from bot.snapshots import SnapshotInfo, provider_for
from bot.store import Run
from bot.workflow import steps
from bot.workflow.apply_step import judge_after_failure
from bot.workflow.execute import apply_lock
from bot.workflow.run import RunState

if TYPE_CHECKING:
    from bot.workflow.runner import Runner

S = RunState
_STOPPED_MID_APPLY = (
    "the bot stopped while the apply was running, so whether any of it took effect is unknown"
)
_UNFINISHED = [
    S.REQUESTED,
    S.PRECONDITIONS,
    S.DEV_SYNC,
    S.DIFF,
    S.APPLYING,
    S.VERIFYING,
    S.HEALTH_CHECKS,
]


async def recover_at_startup(runner: Runner, *, quiet_s: float) -> list[Run]:
    """Resolve every run left in a working state whose driver has been silent for ``quiet_s``
    seconds (a live process sends a heartbeat every few seconds); returns the runs marked
    interrupted. Run again periodically: a run orphaned just before start-up is found later.

    A run a task of *this* process drives is alive, whatever its heartbeat says (the store may
    have been unreachable for a while and missed beats): it is never touched. Another
    replica's live run is protected by its heartbeat."""
    resolved = []
    for run in await runner.store.orphaned_runs(_UNFINISHED, quiet_s=quiet_s):
        if runner.drives(run.id):
            continue
        if run.state in (S.VERIFYING, S.HEALTH_CHECKS):
            runner.spawn(run.id, runner.finish_after_restart(run), "finish after restart")
            continue
        interrupted = await _interrupt(runner, run, quiet_s=quiet_s)
        if interrupted is not None:
            resolved.append(interrupted)
    return resolved


async def _interrupt(runner: Runner, run: Run, *, quiet_s: float) -> Run | None:
    was = run.state
    if runner.drives(run.id):  # this process took it up since the list was read
        return None
    # Conditional on the heartbeat still being quiet: its driver may have spoken up since the
    # list was read (an earlier run's verification can take a while).
    moved = await runner.store.transition(
        run.id, from_states=[was], to_state=S.INTERRUPTED, quiet_s=quiet_s
    )
    if moved is None:
        return None  # another replica resolved it first, or its driver is alive after all
    applying = was is S.APPLYING
    note = (
        f"the bot stopped during {was.value}; the apply was NOT re-run"
        if applying
        else f"the bot stopped during {was.value}; nothing was applied"
    )
    data: dict[str, Any] = {
        "notes": [*run.data.get("notes", []), note],
        "interrupted_in": was.value,
    }
    fields: dict[str, Any] = {}
    plan = await runner.store.get_plan(run.plan_id) if applying and run.plan_id else None
    if plan is not None:  # what production has now (apply_step.judge_after_failure)
        judged = await judge_after_failure(
            runner.context(run), plan, {}, why_unknown=_STOPPED_MID_APPLY
        )
        data["verify"] = judged.pop("verify")
        data["apply"] = {**(run.data.get("apply") or {}), **judged}
        if isinstance(data["verify"].get("in_sync"), bool):
            fields["outcome"] = "IN SYNC" if data["verify"]["in_sync"] else "OUT OF SYNC"
    elif applying:
        try:
            verify = await steps.verify_all(runner.context(run))
            data["verify"] = verify
            fields["outcome"] = "IN SYNC" if verify["in_sync"] else "OUT OF SYNC"
        except AlignError as exc:
            data["notes"].append(f"verification after the restart failed: {exc.message}")
    moved = await runner.store.update_run(run.id, data=data, **fields)
    await runner.emit(moved, "interrupted", was=was.value)
    await runner.write_report(moved)
    return moved


async def restore_snapshot(runner: Runner, run_id: str, *, user: str) -> Run:
    """Restore production from the run's snapshot (the caller has asked for confirmation)."""
    run = await runner.store.get_run(run_id)
    if run is None or not run.data.get("snapshot"):
        raise RunRefused(f"run {run_id} has no snapshot to restore")
    target = runner.settings.target(run.target)
    provider = provider_for(target, data_dir=runner.settings.data_dir, masker=runner.masker)
    await runner.store.audit(user, "recovery.restore_requested", run_id=run_id, target=run.target)
    try:
        # The apply lock: no apply (of any target naming this database) runs during a restore.
        async with apply_lock(target.database_url.value, target=target.name):
            info = await provider.restore(SnapshotInfo.from_json(run.data["snapshot"]))
    except SnapshotError as exc:
        await runner.store.record_recovery(
            run_id, action="restored_snapshot", user_id=user, note=f"restore FAILED: {exc.message}"
        )
        raise
    await runner.store.record_recovery(
        run_id,
        action="restored_snapshot",
        user_id=user,
        note=f"production restored from snapshot {info.name}",
        detail=info.to_json(),
    )
    run = await runner.store.update_run(run_id, data={"snapshot": info.to_json()})
    await runner.write_report(run)
    return run


async def mark_manual(runner: Runner, run_id: str, *, user: str, note: str) -> Run:
    if not note.strip():
        raise RunRefused("describe the manual intervention")
    if await runner.store.get_run(run_id) is None:
        raise RunRefused(f"no run {run_id}")
    await runner.store.record_recovery(
        run_id, action="manual_intervention", user_id=user, note=note
    )
    run = await runner.store.get_run(run_id)
    assert run is not None
    await runner.write_report(run)
    return run


async def rerun(runner: Runner, run_id: str, *, user: str, via: str) -> Run:
    run = await runner.store.get_run(run_id)
    if run is None or not run.is_final:
        raise RunRefused(f"run {run_id} is not finished; it cannot be re-run")
    new = await runner.start(
        target=run.target, requested_by=user, via=via, channel=run.channel, resumed_from=run.id
    )
    await runner.store.record_recovery(
        run_id, action="re_ran", user_id=user, note=f"re-ran as run {new.id}"
    )
    return new

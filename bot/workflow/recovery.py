"""Recovery: what happens after a run went wrong, and after the bot itself died.

``recover_at_startup`` resolves runs a dead process left behind (invariant 6): a run found in
``applying`` becomes ``interrupted`` and is never applied again; production is verified and the
result recorded. Runs found in verification or health checks simply finish (both are read-only);
runs found before review are interrupted (nothing was applied). The other functions are the
recovery actions people choose on a failed run, each recorded with who and when. Restoring a
snapshot is guarded (see :mod:`bot.workflow.restore_rules` for when it is refused and what it
would throw away) and holds the database's apply lock.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from bot.errors import AlignError, ApplyError, RunRefused, SnapshotError
from bot.snapshots import SnapshotInfo, provider_for
from bot.store import Run
from bot.workflow import restore_rules as rules
from bot.workflow import steps
from bot.workflow.apply_step import judge_after_failure
from bot.workflow.execute import apply_lock
from bot.workflow.restore_rules import RestoreCheck
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


async def assess_restore(runner: Runner, run_id: str) -> RestoreCheck:
    """What restoring ``run_id``'s snapshot would do, and whether it is refused outright: the
    confirm dialog shows it, and the restore decides on it again under the apply lock."""
    run = await runner.store.get_run(run_id)
    active = None
    if run is not None:
        active = await runner.store.active_run(run.target)
        if active is None and run.database_key is not None:
            active = await runner.store.active_run_on_database(run.database_key)
    refusal = rules.refusal_for(run, run_id, active=active)
    if run is None:
        return RestoreCheck(run_id, "", "", None, None, rules.UNKNOWN, refusal=refusal)
    snap = run.data.get("snapshot") or {}
    taken_at = _snapshot_time(snap)
    later: tuple[rules.LaterApply, ...] = ()
    if refusal is None:
        applies = await runner.store.later_applies(
            run.id,
            database_key=run.database_key,
            target=run.target,
            since=taken_at or run.created_at,
        )
        later = rules.later_losses(applies)
    age = (await runner.store.database_now()) - taken_at if taken_at else None
    return RestoreCheck(
        run_id=run.id,
        target=run.target,
        snapshot_name=str(snap.get("name") or snap.get("id") or "?"),
        snapshot_taken_at=taken_at,
        age=age,
        production=rules.production_after(run, await runner.store.steps(run.id)),
        refusal=refusal,
        later=later,
    )


async def restore_snapshot(
    runner: Runner, run_id: str, *, user: str, override: str | None = None
) -> Run:
    """Restore production from the run's snapshot (the caller has asked for confirmation).

    Refused (RunRefused, audited, production untouched) while a run on that database is active,
    for a run that is not failed or interrupted, once it was restored, and when later runs
    applied changes unless ``override`` names exactly those runs (what the dialog asked to type).
    The checks run again under the database's apply lock, which the restore holds throughout, and
    a finished restore is recorded in the run's row, so a double click, a retry or another
    replica cannot restore twice."""
    check = await assess_restore(runner, run_id)
    await _refuse_unless_allowed(runner, check, user=user, override=override)
    run = await runner.store.get_run(run_id)
    assert run is not None
    target = runner.settings.target(run.target)
    provider = provider_for(target, data_dir=runner.settings.data_dir, masker=runner.masker)
    await runner.store.audit(user, "recovery.restore_requested", run_id=run_id, target=run.target)
    token = secrets.token_hex(8)
    try:
        async with apply_lock(target.database_url.value, target=target.name):
            claim = await runner.store.claim_restore(run_id, user_id=user, token=token)
            if claim is not None:
                await _refused(runner, check, user, _claim_refusal(run_id, claim))
            state = "refused"
            try:  # the authoritative check: nothing can start an apply while we hold the lock
                check = await assess_restore(runner, run_id)
                await _refuse_unless_allowed(runner, check, user=user, override=override)
                state = "failed"
                info = await provider.restore(SnapshotInfo.from_json(run.data["snapshot"]))
                state = "done"
            finally:
                await runner.store.finish_restore(run_id, token=token, state=state)
    except ApplyError as exc:  # the apply lock is held: an apply or another restore is running
        await _refused(
            runner,
            check,
            user,
            f"an apply or another restore is running on the database behind '{run.target}' "
            "right now; nothing was restored — try again once it has finished",
            cause=exc,
        )
    except SnapshotError as exc:
        await runner.store.record_recovery(
            run_id, action="restored_snapshot", user_id=user, note=f"restore FAILED: {exc.message}"
        )
        raise
    detail: dict[str, Any] = {**info.to_json(), "snapshot_age_s": _seconds(check.age)}
    note = f"production restored from snapshot {info.name}"
    if check.later:
        override_record = {
            "typed": override,
            "later_runs": [
                {
                    "id": a.run_id,
                    "target": a.target,
                    "result": a.result,
                    "apply_started_at": a.apply_started_at.isoformat(),
                }
                for a in check.later
            ],
            "snapshot_taken_at": info.created_at.isoformat(),
            "snapshot_age_s": _seconds(check.age),
        }
        detail["override"] = override_record
        note += " OVERRIDING later runs " + ", ".join(a.run_id for a in check.later)
        await runner.store.audit(
            user,
            "recovery.restore_override",
            run_id=run_id,
            target=run.target,
            detail=override_record,
        )
    await runner.store.record_recovery(
        run_id, action="restored_snapshot", user_id=user, note=note, detail=detail
    )
    run = await runner.store.update_run(run_id, data={"snapshot": info.to_json()})
    await runner.write_report(run)
    return run


async def _refuse_unless_allowed(
    runner: Runner, check: RestoreCheck, *, user: str, override: str | None
) -> None:
    if check.refusal is not None:
        await _refused(runner, check, user, check.refusal)
    if check.later and not rules.override_matches(override, check):
        await _refused(runner, check, user, check.later_refusal())


async def _refused(
    runner: Runner, check: RestoreCheck, user: str, why: str, *, cause: Exception | None = None
) -> NoReturn:
    await runner.store.audit(
        user,
        "recovery.restore_refused",
        run_id=check.run_id,
        target=check.target or None,
        detail={"why": why, "later_runs": [a.run_id for a in check.later]},
    )
    raise RunRefused(why) from cause


def _claim_refusal(run_id: str, claim: dict[str, Any]) -> str:
    if claim.get("state") == "missing":
        return f"no run {run_id}"
    who = claim.get("user") or "someone"
    who = f"<@{who}>" if who[:1] in ("U", "W") and who.isalnum() else who
    return f"the snapshot of run {run_id} was already restored by {who}; nothing was done"


def _snapshot_time(snap: dict[str, Any]) -> datetime | None:
    try:
        taken = datetime.fromisoformat(str(snap["created_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return taken if taken.tzinfo else taken.replace(tzinfo=UTC)


def _seconds(age: timedelta | None) -> int | None:
    return None if age is None else max(0, int(age.total_seconds()))


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

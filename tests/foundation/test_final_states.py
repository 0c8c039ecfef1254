"""Final states are final (invariant 6): a run that ended never moves again, whoever asks.

Each final state is reached through the store's own transitions, then every state is tried as a
target, with ``from_states`` naming every state (the broadest claim a buggy or late caller could
make). The store must refuse each move in the UPDATE itself and leave the row and the audit log
as they were.
"""

from __future__ import annotations

import pytest

from bot.store import Store
from bot.workflow.run import FINAL_STATES, RunState

S = RunState
# How a run reaches each final state through ordinary moves.
_PATHS: dict[RunState, list[RunState]] = {
    S.DONE: [
        S.PRECONDITIONS,
        S.DEV_SYNC,
        S.DIFF,
        S.AWAITING_REVIEW,
        S.APPLYING,
        S.VERIFYING,
        S.HEALTH_CHECKS,
        S.DONE,
    ],
    S.REJECTED: [S.PRECONDITIONS, S.DEV_SYNC, S.DIFF, S.AWAITING_REVIEW, S.REJECTED],
    S.CANCELLED: [S.PRECONDITIONS, S.CANCELLED],
    S.FAILED: [S.PRECONDITIONS, S.DEV_SYNC, S.FAILED],
    S.INTERRUPTED: [S.PRECONDITIONS, S.DEV_SYNC, S.DIFF, S.AWAITING_REVIEW, S.APPLYING,
                    S.INTERRUPTED],
}  # fmt: skip


@pytest.fixture
async def store(make_db):
    s = await Store.open(await make_db())
    yield s
    await s.close()


async def _ended(store: Store, final: RunState, n: int) -> str:
    run = await store.create_run(
        target=f"t{n}", mode="builtin", requested_by="U0ALICE01", requested_via="cli"
    )
    state = run.state
    for step in _PATHS[final]:
        moved = await store.transition(run.id, from_states=[state], to_state=step)
        assert moved is not None, f"{state} -> {step} refused while setting up"
        state = step
    return run.id


def test_final_states_paths_cover_every_final_state() -> None:
    assert set(_PATHS) == FINAL_STATES


async def test_final_states_no_transition_leaves_a_final_state(store: Store) -> None:
    for n, final in enumerate(sorted(FINAL_STATES)):
        run_id = await _ended(store, final, n)
        before = await store.get_run(run_id)
        audit_before = len(await store.audit_events(run_id=run_id))
        for target in RunState:
            # The broadest claim: "from any state", as a late task or a second replica might.
            moved = await store.transition(run_id, from_states=list(RunState), to_state=target)
            assert moved is None, f"{final} -> {target} was allowed"
            # The exact claim of the bug: "from the state it is in now".
            moved = await store.transition(run_id, from_states=[final], to_state=target)
            assert moved is None, f"{final} -> {target} was allowed (from its own state)"
            # A sweep's claim (heartbeat quiet) changes nothing either.
            moved = await store.transition(run_id, from_states=[final], to_state=target, quiet_s=0)
            assert moved is None, f"{final} -> {target} was allowed to a sweep"
        after = await store.get_run(run_id)
        assert after.state is final
        assert after.finished_at == before.finished_at
        assert after.updated_at == before.updated_at
        assert len(await store.audit_events(run_id=run_id)) == audit_before


async def test_final_states_a_decision_never_reopens_an_ended_run(store: Store) -> None:
    run_id = await _ended(store, S.REJECTED, 0)
    moved = await store.transition(
        run_id,
        from_states=[S.AWAITING_REVIEW, S.REJECTED],
        to_state=S.APPLYING,
        actor="U0BOB0002",
        decision={"decision": "approved", "user_id": "U0BOB0002"},
    )
    assert moved is None
    assert (await store.get_run(run_id)).state is S.REJECTED
    assert await store.decisions(run_id) == []  # the decision rides on the move: not recorded


async def test_final_states_working_runs_still_move(store: Store) -> None:
    """The guard refuses only ended runs: an ordinary conditional move is unaffected."""
    run = await store.create_run(
        target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="cli"
    )
    moved = await store.transition(run.id, from_states=list(RunState), to_state=S.PRECONDITIONS)
    assert moved is not None and moved.state is S.PRECONDITIONS
    assert moved.heartbeat_at is not None  # a move is a sign of life for the sweep

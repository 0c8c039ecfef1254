"""Every refusal leaves a trace: who asked for what, and why it was refused (safety invariant 8).

A refused ``/align start`` or ``/align cancel``, Restore, Re-run or manual note used to be
answered to the user and forgotten; an attacker probing who may do what left nothing for the
reviewers to see. :func:`audit_refusal` writes one ``<what>.refused`` audit row, which
``/align history`` shows to reviewers. Recording never hides the answer: if the store is down
the refusal is still answered and the failure to record it is logged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.errors import StoreError
from bot.slack import ids

if TYPE_CHECKING:
    from bot.app import Deps
    from bot.slack.blocks import Message

log = logging.getLogger(__name__)

__all__ = ["REFUSED_SUFFIX", "audit_refusal", "refusal_reason"]

REFUSED_SUFFIX = ".refused"
_REFUSAL_PREFIX = ":no_entry: Not done: "
_WHY_LIMIT = 500


def refusal_reason(message: Message | None) -> str | None:
    """The reason of a refusal reply (``replies.refusal``), ``None`` for any other reply."""
    if message is None or not message.blocks:
        return None
    if message.blocks[0].get("block_id") != ids.BLOCK_ERROR:
        return None
    if not message.text.startswith(_REFUSAL_PREFIX):
        return None
    return message.text.removeprefix(_REFUSAL_PREFIX)


async def audit_refusal(
    deps: Deps,
    *,
    actor: str,
    what: str,
    why: str,
    run_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record that ``actor`` was refused ``what`` (``command.start``, ``click.restore``, …)."""
    try:
        if target is None and run_id is not None:
            run = await deps.store.get_run(run_id)
            target = run.target if run is not None else None
        await deps.store.audit(
            actor,
            f"{what}{REFUSED_SUFFIX}",
            run_id=run_id,
            target=target,
            detail={"why": why[:_WHY_LIMIT], **(detail or {})},
        )
    except StoreError:
        log.warning("refusal of %s could not be recorded", what, exc_info=True)

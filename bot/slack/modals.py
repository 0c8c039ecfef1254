"""Pure modal builders (and the reading of their submissions).

``private_metadata`` carries only the plan id of the card the modal was opened from (the run id
for recovery modals); everything else is re-read from the store when the modal is submitted, and
a decision for a plan that was replaced meanwhile is refused. Inputs have fixed block/action ids
from :mod:`bot.slack.ids`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.slack import ids
from bot.slack.blocks import escape
from bot.slack.format import clip, plain, section
from bot.slack.review_card import destructive_summary

if TYPE_CHECKING:
    from bot.store.records import Run
    from bot.workflow.restore_rules import RestoreCheck

__all__ = [
    "REMIND_CHOICES",
    "approve_destructive_modal",
    "defer_modal",
    "manual_modal",
    "reject_modal",
    "restore_modal",
    "submitted_value",
]

# Defer reminders: option value -> hours from now.
REMIND_CHOICES: dict[str, tuple[str, float]] = {
    "1h": ("in 1 hour", 1),
    "4h": ("in 4 hours", 4),
    "24h": ("tomorrow (in 24 hours)", 24),
    "72h": ("in 3 days", 72),
}
REASON_MAX = 2000


def _modal(
    callback_id: str,
    run: Run,
    title: str,
    submit: str,
    blocks: list[dict[str, Any]],
    *,
    metadata: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata or run.id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _text_input(
    pair: tuple[str, str], label: str, *, multiline: bool, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block_id, action_id = pair
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "optional": optional,
        "element": {
            "type": "plain_text_input",
            "action_id": action_id,
            "multiline": multiline,
            "max_length": REASON_MAX,
        },
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _intro(run: Run, plan_id: str | None = None) -> dict[str, Any]:
    plan_id = plan_id or run.plan_id
    what = f"Plan `{escape(plan_id)}`" if plan_id else f"Run `{escape(run.id)}`"
    return section(f"{what} on `{escape(run.target)}`")


def _plan_modal(
    callback_id: str,
    plan_id: str | None,
    run: Run,
    title: str,
    submit: str,
    blocks: list[dict[str, Any]],
) -> dict[str, Any]:
    """A decision modal: bound to the plan of the card it was opened from."""
    return _modal(callback_id, run, title, submit, blocks, metadata=plan_id or run.plan_id)


def approve_destructive_modal(run: Run, plan_id: str | None = None) -> dict[str, Any]:
    findings = destructive_summary(run, limit=2500)
    return _plan_modal(
        ids.VIEW_APPROVE_DESTRUCTIVE,
        plan_id,
        run,
        "Approve destructive",
        "Approve",
        [
            _intro(run, plan_id),
            section(f":rotating_light: {escape(findings)}"),
            _text_input(
                ids.INPUT_CONFIRM_TARGET,
                f"Type the target's name ({clip(run.target, 100)}) to approve",
                multiline=False,
            ),
        ],
    )


def reject_modal(run: Run, plan_id: str | None = None) -> dict[str, Any]:
    return _plan_modal(
        ids.VIEW_REJECT,
        plan_id,
        run,
        "Reject run",
        "Reject",
        [
            _intro(run, plan_id),
            _text_input(ids.INPUT_REASON, "Why is it rejected?", multiline=True),
        ],
    )


def defer_modal(run: Run, plan_id: str | None = None) -> dict[str, Any]:
    block_id, action_id = ids.INPUT_REMIND
    remind = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain("Remind the channel", 2000),
        "element": {
            "type": "static_select",
            "action_id": action_id,
            "placeholder": plain("no reminder", 150),
            "options": [
                {"text": plain(label, 75), "value": value}
                for value, (label, _hours) in REMIND_CHOICES.items()
            ],
        },
    }
    return _plan_modal(
        ids.VIEW_DEFER,
        plan_id,
        run,
        "Defer run",
        "Defer",
        [
            _intro(run, plan_id),
            _text_input(ids.INPUT_REASON, "Why is it deferred?", multiline=True),
            remind,
        ],
    )


def manual_modal(run: Run) -> dict[str, Any]:
    return _modal(
        ids.VIEW_MANUAL,
        run,
        "Manual intervention",
        "Record",
        [
            _intro(run),
            _text_input(ids.INPUT_NOTE, "What was done by hand?", multiline=True),
        ],
    )


def restore_modal(check: RestoreCheck) -> dict[str, Any]:
    """Confirm a restore: what it throws away (writes since the snapshot, later runs' changes),
    and, when later runs applied, the words to type to restore over them. Bound to the run; the
    checks run again when it is submitted, against what is recorded then."""
    taken = (
        f", taken {check.snapshot_taken_at:%Y-%m-%d %H:%M} UTC" if check.snapshot_taken_at else ""
    )
    blocks: list[dict[str, Any]] = [
        section(
            f":rewind: Restore production (`{escape(check.target)}`) from snapshot "
            f"`{escape(check.snapshot_name)}`{taken}, for run `{escape(check.run_id)}`."
        ),
        section(
            "*This throws away:*\n" + "\n".join(f"• {escape(line)}" for line in check.losses()[:20])
        ),
    ]
    if check.production == "unchanged":
        blocks.append(
            section(
                "This run left production unchanged (its apply was rolled back): a restore "
                "only loses the writes above. Re-run is usually what you want."
            )
        )
    if check.later:
        words = check.override_words
        blocks.append(
            section(
                f":rotating_light: {len(check.later)} later run(s) applied changes to this "
                "database after the snapshot; they would be wiped and still say what they say."
            )
        )
        blocks.append(
            _text_input(
                ids.INPUT_RESTORE_OVERRIDE,
                f"To restore anyway, type: {clip(words, 1900)}",
                multiline=False,
                hint="The ids of the later runs whose changes will be lost.",
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.VIEW_RESTORE,
        "private_metadata": check.run_id,
        "title": plain("Restore snapshot", 24),
        "submit": plain("Restore", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def submitted_value(view: Any, pair: tuple[str, str]) -> str | None:
    """The submitted value of one input (text or selected option), or None; tolerates any
    shape (a malformed payload gives None, never an exception)."""
    block_id, action_id = pair
    try:
        entry = view["state"]["values"][block_id][action_id]
    except (KeyError, TypeError):
        return None
    if not isinstance(entry, dict):
        return None
    value = entry.get("value")
    if value is None and isinstance(entry.get("selected_option"), dict):
        value = entry["selected_option"].get("value")
    return value if isinstance(value, str) else None

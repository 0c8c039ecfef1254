"""Slack identifiers the bot owns: the slash command, action ids, callback ids, block ids.

They live only here (dotted ``area.verb``) so a handler and the builder that renders its button
can never disagree, and a rename is one edit.
"""

from __future__ import annotations

SLASH_COMMAND = "/align"

# Block ids of the messages built in bot/slack/blocks.py.
BLOCK_HELP = "help.body"
BLOCK_PROBLEM = "help.problem"
BLOCK_STATUS = "status.body"
BLOCK_RUN = "run.detail"
BLOCK_ERROR = "error.body"
BLOCK_REFUSALS = "history.refusals"

# Run message, review card and recovery (bot/slack/run_message.py, review_card.py).
BLOCK_RUN_HEADER = "run.header"
BLOCK_RUN_STEPS = "run.steps"
BLOCK_RUN_OUTCOME = "run.outcome"
BLOCK_RUN_RECOVERY = "run.recovery"
BLOCK_RUN_PRODUCTION = "run.production"
BLOCK_CARD_ACTIONS = "review.actions"
BLOCK_CARD_DECISION = "review.decision"

# Action ids (buttons). Every button's ``value`` is the run id and nothing else.
ACTION_APPROVE = "review.approve"
ACTION_REJECT = "review.reject"
ACTION_DEFER = "review.defer"
ACTION_RESTORE = "recovery.restore"
ACTION_RERUN = "recovery.rerun"
ACTION_MANUAL = "recovery.manual"

# Modal callback ids; ``private_metadata`` is the run id.
VIEW_APPROVE_DESTRUCTIVE = "approve.destructive"
VIEW_REJECT = "reject.reason"
VIEW_DEFER = "defer.reason"
VIEW_MANUAL = "manual.note"
VIEW_RESTORE = "recovery.restore_confirm"

# Input blocks (block id, action id) inside those modals.
INPUT_CONFIRM_TARGET = ("approve.target", "approve.target_input")
INPUT_REASON = ("decision.reason", "decision.reason_input")
INPUT_REMIND = ("defer.remind", "defer.remind_select")
INPUT_NOTE = ("manual.note", "manual.note_input")
INPUT_RESTORE_OVERRIDE = ("restore.override", "restore.override_input")

# Scheduled notices (bot/jobs/, bot/slack/notices.py) and the drift alert's button
# (handlers/drift.py; its ``value`` is the target name, not a run id).
ACTION_DRIFT_START = "drift.start"
BLOCK_DRIFT = "drift.alert"
BLOCK_DRIFT_ACTIONS = "drift.actions"
BLOCK_IN_SYNC = "drift.in_sync"
BLOCK_REMINDER = "review.reminder"
BLOCK_EXPIRED = "review.expired"

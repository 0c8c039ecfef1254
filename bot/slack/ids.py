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

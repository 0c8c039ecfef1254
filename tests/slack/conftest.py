"""Slack test fixtures (defined in tests/slackkit/fixtures.py)."""

from tests.slackkit.fixtures import (  # noqa: F401
    align_config,
    bot_server,
    slack_driver,
    slack_emulator,
    slack_environ,
    slack_settings,
    state_store,
)

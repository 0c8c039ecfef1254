"""Ops tests reuse the scheduler tests' environment (databases, store, emulator, clock)."""

from tests.scheduler.conftest import jobs_env, slack_emulator  # noqa: F401

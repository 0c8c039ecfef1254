"""Settings for tests, built in code: one builtin target ``prod`` whose desired schema is a dev
database, pg_dump snapshots under the data directory. Override any Settings field by keyword."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import (
    HealthCheck,
    Policy,
    Schedules,
    Secret,
    Settings,
    SlackSettings,
    Target,
    Timeouts,
)
from bot.store import Run
from bot.workflow.authority import Actor
from bot.workflow.gate import Decided
from bot.workflow.runner import Runner


def builtin_settings(
    data_dir: Path, prod_url: str, dev_url: str, state_url: str, **overrides: Any
) -> Settings:
    target = Target(
        name="prod",
        database_url=Secret(prod_url),
        mode="builtin",
        snapshot="pg_dump",
        desired_url=Secret(dev_url),
        pg_dump_dir=data_dir / "snapshots",
        rehearsal="full",
        health_checks=(HealthCheck(name="connections", kind="db"),),
    )
    settings = Settings(
        config_path=None,
        data_dir=data_dir,
        state_url=Secret(state_url),
        host="127.0.0.1",
        port=0,
        channel=None,
        oncall=(),
        default_target="prod",
        policy=Policy(reviewers=("U0ALICE01", "U0BOB0002", "U0CAROL03"), four_eyes=True),
        timeouts=Timeouts(),
        schedules=Schedules(),
        slack=SlackSettings(None, None, None, None),
        targets={"prod": target},
    )
    return dataclasses.replace(settings, **overrides)


async def decide(
    runner: Runner,
    run: Run,
    *,
    decision: str,
    user: str,
    reason: str | None = None,
    remind_at: datetime | None = None,
    confirm: bool = True,
) -> Decided:
    """A Slack reviewer's decision on the plan ``run`` shows (the run as the reviewer saw it);
    approvals type the target's name, as the DESTRUCTIVE dialog asks (``confirm=False``: not)."""
    assert run.plan_id is not None, f"run {run.id} has no plan to decide on"
    return await runner.decide(
        run.plan_id,
        decision=decision,
        actor=Actor.slack(user),
        reason=reason,
        remind_at=remind_at,
        confirmation=run.target if confirm else None,
    )

"""The settings themselves: frozen dataclasses, :class:`Secret`, ``parse_duration`` and constants.

Nothing here reads files or the environment; :mod:`bot.config.load` builds these values.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.secrets import Masker, mask_url, url_password

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Slack ids accepted in the configuration (shared by the [bot], [access] and [targets.*] readers).
_SLACK_PRINCIPAL = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_SLACK_TEAM = re.compile(r"^T[A-Z0-9]{2,}$")
# `align run` reviewers: an OS user name, optionally pinned to one host (``user@host``).
_TERMINAL_USER = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}(@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)?$"
)


@dataclass(frozen=True)
class Secret:
    """A secret value; ``repr`` and ``str`` never show it. ``masked`` is safe to display."""

    value: str = field(repr=False)
    # False for values that are only configuration (NODE_ENV=production): shown as they are.
    sensitive: bool = True

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    @property
    def masked(self) -> str:
        return mask_url(self.value) if "://" in self.value else "***"


def parse_duration(text: str | int | float) -> float:
    """``"2h"``, ``"30m"``, ``"45s"``, ``"500ms"``, ``"7d"`` or a number of seconds → seconds."""
    if isinstance(text, bool):
        raise ValueError("expected a duration such as '30m'")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError("must not be negative")
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration such as '30s', '15m', '2h', got {text!r}")
    return float(match[1]) * _UNITS[match[2]]


@dataclass(frozen=True)
class Timeouts:
    command_s: float = 600.0
    step_s: float = 1800.0
    lock_timeout_ms: int = 5_000
    statement_timeout_ms: int = 300_000
    approval_ttl_s: float = 7200.0
    # A re-diff re-uses the run's snapshot only if it is younger than this (and production's
    # schema is unchanged since): after a deferral, the restore point must not predate writes.
    snapshot_max_age_s: float = 900.0


@dataclass(frozen=True)
class Policy:
    """Who may ask for, approve and look at runs.

    ``requesters``, ``reviewers`` and ``readers`` are Slack user ids (U…/W…) or user-group ids
    (S…). An empty ``requesters`` list means anyone in the installed workspace may request; an
    empty ``readers`` list means anyone there may use the read subcommands (status, history,
    report, verify). ``terminal_reviewers`` are OS user names (``alice``) or ``user@host``
    allowed to approve at the terminal (``align run``); empty means nobody may, because an OS
    account is a different identity from a Slack reviewer and must be named on purpose.
    """

    requesters: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    four_eyes: bool = True
    second_approver_for_destructive: bool = False
    terminal_reviewers: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedules:
    drift_watch: str | None = None
    reminders: str | None = "*/30 * * * *"
    retention: str | None = "17 3 * * *"
    retention_days: int = 14


@dataclass(frozen=True)
class SlackSettings:
    bot_token: Secret | None
    signing_secret: Secret | None
    app_token: Secret | None
    api_url: str | None
    # ``[slack] team_id``: pins the one workspace whose requests are accepted. None: the bot
    # token's own workspace (auth.test) is the installed one.
    team_id: str | None = None


@dataclass(frozen=True)
class NeonSettings:
    api_key: Secret
    project_id: str
    branch_id: str
    api_url: str = "https://console.neon.tech/api/v2"
    method: str = "snapshot"  # "snapshot" (root branches) or "branch"
    poll_interval_s: float = 5.0
    operation_timeout_s: float = 300.0


DEFAULT_COMMANDS = {
    "dev_sync": "npm run db:dev:sync",
    "diff": "npm run db:prod:align:diff",
    "diff_output": "prisma_prod_align.sql",
    "verify": "npm run db:prod:align:verify",
}


@dataclass(frozen=True)
class CommandsSettings:
    """The team's runbook as commands run in the application checkout (commands mode)."""

    checkout: Path
    branch: str = "dev"
    dev_sync: tuple[str, ...] = tuple(shlex.split(DEFAULT_COMMANDS["dev_sync"]))
    generate_client: tuple[str, ...] | None = None
    diff: tuple[str, ...] = tuple(shlex.split(DEFAULT_COMMANDS["diff"]))
    diff_output: str = DEFAULT_COMMANDS["diff_output"]
    apply: tuple[str, ...] | None = None  # None: the bot's own transactional apply
    verify: tuple[str, ...] | None = tuple(shlex.split(DEFAULT_COMMANDS["verify"]))
    schema_path: str = "prisma/schema.prisma"
    env: tuple[tuple[str, Secret], ...] = ()


@dataclass(frozen=True)
class HealthCheck:
    name: str
    kind: str  # http | db | catalog | log | command
    url: str | None = None
    command: tuple[str, ...] | None = None
    expect_status: tuple[int, int] = (200, 299)
    timeout_s: float = 10.0


HEALTH_KINDS = ("http", "db", "catalog", "log", "command")


@dataclass(frozen=True)
class Target:
    name: str
    database_url: Secret
    mode: str  # builtin | commands
    snapshot: str  # pg_dump | neon | none
    desired_url: Secret | None = None
    desired_schema_file: Path | None = None
    commands: CommandsSettings | None = None
    neon: NeonSettings | None = None
    pg_dump_dir: Path | None = None
    channel: str | None = None
    exclude_tables: tuple[str, ...] = ("_prisma_migrations",)
    rehearsal: str = "full"  # full | schema-only | off
    health_checks: tuple[HealthCheck, ...] = ()

    @property
    def database_label(self) -> str:
        """The production database as shown to people (password masked)."""
        return self.database_url.masked


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    data_dir: Path
    state_url: Secret | None
    host: str
    port: int
    channel: str | None
    oncall: tuple[str, ...]
    default_target: str | None
    policy: Policy
    timeouts: Timeouts
    schedules: Schedules
    slack: SlackSettings
    targets: Mapping[str, Target]
    log_level: str = "INFO"
    log_format: str = "json"

    def masker(self) -> Masker:
        """A masker that knows every secret value in these settings."""
        values: list[str] = []
        for secret in _secrets_of(self):
            if "://" in secret.value:  # a URL: its password is the secret part
                values.append(url_password(secret.value) or "")
            elif secret.sensitive:
                values.append(secret.value)
        return Masker(values)

    def target(self, name: str | None) -> Target:
        from bot.errors import RunRefused

        chosen = name or self.default_target
        if not chosen:
            raise RunRefused("no target given and no default_target configured")
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise RunRefused(f"unknown target '{chosen}' (configured: {known})")
        return self.targets[chosen]


def _secrets_of(obj: Any) -> list[Secret]:
    found: list[Secret] = []
    if isinstance(obj, Secret):
        return [obj]
    if isinstance(obj, Mapping):
        for v in obj.values():
            found += _secrets_of(v)
    elif isinstance(obj, tuple | list):
        for v in obj:
            found += _secrets_of(v)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            found += _secrets_of(getattr(obj, name))
    return found

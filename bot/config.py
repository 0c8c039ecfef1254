"""Configuration: one TOML file plus the documented environment variables → typed, frozen settings.

``load_settings`` runs once at start-up and is the only reader of ``os.environ`` (callers pass
the mapping). Every problem found (missing key, wrong type, unknown key, unresolved ``${ENV}``
reference) is collected and raised together in one :class:`ConfigError`, each naming its key.
Secrets are never written in the file: values may reference the environment as ``${NAME}`` or
``${NAME:-default}``, and resolved values are wrapped in :class:`Secret` (masked repr).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.secrets import Masker, mask_url

__all__ = [
    "DEFAULT_COMMANDS",
    "CommandsSettings",
    "HealthCheck",
    "NeonSettings",
    "Policy",
    "Schedules",
    "Secret",
    "Settings",
    "SlackSettings",
    "Target",
    "Timeouts",
    "load_settings",
    "parse_duration",
]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SLACK_PRINCIPAL = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_SENSITIVE_KEY = re.compile(r"PASS|TOKEN|SECRET|KEY|CREDENTIAL|AUTH|PRIVATE|DSN", re.I)
_TARGET_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


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


@dataclass(frozen=True)
class Policy:
    """Who may ask for and approve runs. Entries are Slack user ids (U…/W…) or user-group ids (S…).
    An empty ``requesters`` list means anyone in the workspace may request."""

    requesters: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    four_eyes: bool = True
    second_approver_for_destructive: bool = False


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
                values.append(urlsplit(secret.value).password or "")
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


# --------------------------------------------------------------------------- reading
class _Reader:
    """Walks the TOML tree, resolving ``${ENV}`` and collecting problems instead of raising."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problems.append(f"{key}: expected a table, got {type(data).__name__}")
            return {}
        return data

    def unknown(self, data: dict[str, Any], key: str, allowed: set[str]) -> None:
        for name in sorted(set(data) - allowed):
            where = f"{key}.{name}" if key else name
            self.problems.append(f"{where}: unknown key (allowed: {', '.join(sorted(allowed))})")

    def resolve(self, value: str, key: str) -> str | None:
        missing: list[str] = []

        def sub(match: re.Match[str]) -> str:
            name, default = match[1], match[2]
            if name in self.environ:
                return self.environ[name]
            if default is not None:
                return default
            missing.append(name)
            return ""

        resolved = _ENV_REF.sub(sub, value)
        for name in missing:
            self.problems.append(f"{key}: environment variable ${{{name}}} is not set")
        return None if missing else resolved

    def str(
        self, data: dict[str, Any], key: str, name: str, *, default: Any = None, required=False
    ) -> Any:
        full = f"{key}.{name}" if key else name
        if name not in data:
            if required:
                self.problems.append(f"{full}: missing (required)")
            return default
        value = data[name]
        if not isinstance(value, str):
            self.problems.append(f"{full}: expected a string, got {type(value).__name__}")
            return default
        resolved = self.resolve(value, full)
        return default if resolved is None else resolved

    def secret(self, data: dict[str, Any], key: str, name: str, *, required=False) -> Secret | None:
        value = self.str(data, key, name, required=required)
        if required and value == "":
            self.problems.append(f"{key}.{name}: is empty")
        return Secret(value) if value else None

    def choice(
        self,
        data: dict[str, Any],
        key: str,
        name: str,
        choices: tuple[str, ...],
        *,
        default: str | None = None,
        required=False,
    ) -> str | None:
        value = self.str(data, key, name, default=default, required=required)
        if value is not None and value not in choices:
            self.problems.append(
                f"{key}.{name}: must be one of {', '.join(choices)}, got {value!r}"
            )
            return default
        return value

    def bool(self, data: dict[str, Any], key: str, name: str, *, default: bool) -> bool:
        if name not in data:
            return default
        if not isinstance(data[name], bool):
            self.problems.append(f"{key}.{name}: expected true or false")
            return default
        return data[name]

    def int(self, data: dict[str, Any], key: str, name: str, *, default: int, minimum=0) -> int:
        if name not in data:
            return default
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problems.append(f"{key}.{name}: expected an integer ≥ {minimum}")
            return default
        return value

    def duration(self, data: dict[str, Any], key: str, name: str, *, default: float) -> float:
        if name not in data:
            return default
        try:
            return parse_duration(data[name])
        except (ValueError, TypeError) as exc:
            self.problems.append(f"{key}.{name}: {exc}")
            return default

    def ids(
        self, data: dict[str, Any], key: str, name: str, pattern: re.Pattern[str], what: str
    ) -> tuple[str, ...]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{key}.{name}: expected a list of {what}")
            return ()
        for v in value:
            if not pattern.match(v):
                self.problems.append(f"{key}.{name}: {v!r} is not a valid {what}")
        return tuple(v for v in value if pattern.match(v))

    def argv(
        self, data: dict[str, Any], key: str, name: str, *, default: tuple[str, ...] | None
    ) -> tuple[str, ...] | None:
        full = f"{key}.{name}"
        if name not in data:
            return default
        value = data[name]
        if value == "" or value == []:
            return None
        if isinstance(value, str):
            resolved = self.resolve(value, full)
            try:
                return tuple(shlex.split(resolved)) if resolved is not None else default
            except ValueError as exc:
                self.problems.append(f"{full}: {exc}")
                return default
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(self.resolve(v, full) or "" for v in value)
        self.problems.append(f"{full}: expected a command string or a list of arguments")
        return default


def load_settings(path: Path | str | None, environ: Mapping[str, str]) -> Settings:
    """Read ``path`` (or ``$ALIGN_CONFIG``) and the environment; raise one ConfigError listing
    every problem."""
    path = (
        Path(path)
        if path
        else (Path(environ["ALIGN_CONFIG"]) if environ.get("ALIGN_CONFIG") else None)
    )
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text())
        except FileNotFoundError as exc:
            raise ConfigError([f"{path}: file not found"], source=str(path)) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{path}: cannot be read ({exc})"], source=str(path)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path}: not valid TOML ({exc})"], source=str(path)) from exc
    r = _Reader(environ)
    r.unknown(raw, "", {"bot", "access", "timeouts", "schedules", "targets"})
    bot = r.table(raw.get("bot"), "bot")
    r.unknown(
        bot,
        "bot",
        {
            "data_dir",
            "channel",
            "oncall",
            "default_target",
            "log_level",
            "log_format",
            "host",
            "port",
        },
    )
    settings_port = environ.get("PORT") or bot.get("port", 3000)
    try:
        port = int(settings_port)
    except (TypeError, ValueError):
        r.problems.append(f"PORT / bot.port: expected a port number, got {settings_port!r}")
        port = 3000
    channel = r.str(bot, "bot", "channel")
    if channel and not _SLACK_CHANNEL.match(channel):
        r.problems.append(f"bot.channel: {channel!r} is not a Slack channel id (C…/G…)")
    data_dir = Path(
        environ.get("ALIGN_DATA_DIR") or r.str(bot, "bot", "data_dir", default=".align-data")
    )
    targets = _read_targets(r, r.table(raw.get("targets"), "targets"), path)
    default_target = r.str(bot, "bot", "default_target")
    if default_target is None and len(targets) == 1:
        default_target = next(iter(targets))
    if default_target and targets and default_target not in targets:
        r.problems.append(f"bot.default_target: '{default_target}' is not a configured target")
    access = r.table(raw.get("access"), "access")
    r.unknown(
        access,
        "access",
        {"requesters", "reviewers", "four_eyes", "second_approver_for_destructive"},
    )
    policy = Policy(
        requesters=r.ids(access, "access", "requesters", _SLACK_PRINCIPAL, "Slack user/group id"),
        reviewers=r.ids(access, "access", "reviewers", _SLACK_PRINCIPAL, "Slack user/group id"),
        four_eyes=r.bool(access, "access", "four_eyes", default=True),
        second_approver_for_destructive=r.bool(
            access, "access", "second_approver_for_destructive", default=False
        ),
    )
    t = r.table(raw.get("timeouts"), "timeouts")
    r.unknown(
        t, "timeouts", {"command", "step", "lock_timeout", "statement_timeout", "approval_ttl"}
    )
    d = Timeouts()
    timeouts = Timeouts(
        command_s=r.duration(t, "timeouts", "command", default=d.command_s),
        step_s=r.duration(t, "timeouts", "step", default=d.step_s),
        lock_timeout_ms=int(
            1000 * r.duration(t, "timeouts", "lock_timeout", default=d.lock_timeout_ms / 1000)
        ),
        statement_timeout_ms=int(
            1000
            * r.duration(t, "timeouts", "statement_timeout", default=d.statement_timeout_ms / 1000)
        ),
        approval_ttl_s=r.duration(t, "timeouts", "approval_ttl", default=d.approval_ttl_s),
    )
    s = r.table(raw.get("schedules"), "schedules")
    r.unknown(s, "schedules", {"drift_watch", "reminders", "retention", "retention_days"})
    ds = Schedules()
    schedules = Schedules(
        drift_watch=_cron(r, s, "drift_watch", ds.drift_watch),
        reminders=_cron(r, s, "reminders", ds.reminders),
        retention=_cron(r, s, "retention", ds.retention),
        retention_days=r.int(
            s, "schedules", "retention_days", default=ds.retention_days, minimum=1
        ),
    )
    slack = SlackSettings(
        bot_token=Secret(environ["SLACK_BOT_TOKEN"]) if environ.get("SLACK_BOT_TOKEN") else None,
        signing_secret=Secret(environ["SLACK_SIGNING_SECRET"])
        if environ.get("SLACK_SIGNING_SECRET")
        else None,
        app_token=Secret(environ["SLACK_APP_TOKEN"]) if environ.get("SLACK_APP_TOKEN") else None,
        api_url=environ.get("SLACK_API_URL") or None,
    )
    if r.problems:
        raise ConfigError(r.problems, source=str(path) if path else "configuration")
    return Settings(
        config_path=path,
        data_dir=data_dir,
        state_url=Secret(environ["ALIGN_STATE_URL"]) if environ.get("ALIGN_STATE_URL") else None,
        host=str(bot.get("host", "0.0.0.0")),
        port=port,
        channel=channel,
        oncall=r.ids(bot, "bot", "oncall", _SLACK_PRINCIPAL, "Slack user/group id"),
        default_target=default_target,
        policy=policy,
        timeouts=timeouts,
        schedules=schedules,
        slack=slack,
        targets=targets,
        log_level=str(bot.get("log_level", "INFO")).upper(),
        log_format=str(bot.get("log_format", "json")),
    )


def _cron(r: _Reader, data: dict[str, Any], name: str, default: str | None) -> str | None:
    if name not in data:
        return default
    value = data[name]
    if value in ("", False):
        return None
    if not isinstance(value, str) or len(value.split()) != 5:
        r.problems.append(f'schedules.{name}: expected a 5-field cron expression or "" (off)')
        return default
    return value


_TARGET_KEYS = {
    "database_url",
    "mode",
    "snapshot",
    "desired_url",
    "desired_schema_file",
    "commands",
    "neon",
    "pg_dump_dir",
    "channel",
    "exclude_tables",
    "rehearsal",
    "health_checks",
}


def _read_targets(r: _Reader, data: dict[str, Any], path: Path | None) -> dict[str, Target]:
    base = path.parent if path else Path.cwd()
    targets: dict[str, Target] = {}
    if not data:
        r.problems.append("targets: at least one [targets.NAME] table is required")
    for name, tdata in sorted(data.items()):
        key = f"targets.{name}"
        if not _TARGET_NAME.match(name):
            r.problems.append(f"{key}: target names are lower-case letters, digits, - and _")
        t = r.table(tdata, key)
        r.unknown(t, key, _TARGET_KEYS)
        db = r.secret(t, key, "database_url", required=True)
        mode = r.choice(t, key, "mode", ("builtin", "commands"), default="builtin")
        snapshot = r.choice(t, key, "snapshot", ("pg_dump", "neon", "none"), required=True)
        desired_url = r.secret(t, key, "desired_url")
        schema_file = r.str(t, key, "desired_schema_file")
        if mode == "builtin" and ("desired_url" in t) == ("desired_schema_file" in t):
            r.problems.append(
                f"{key}: builtin mode needs exactly one of desired_url or desired_schema_file"
            )
        commands = None
        if mode == "commands":
            commands = _read_commands(
                r, r.table(t.get("commands"), f"{key}.commands"), f"{key}.commands", base
            )
        neon = None
        if snapshot == "neon":
            neon = _read_neon(r, r.table(t.get("neon"), f"{key}.neon"), f"{key}.neon")
        exclude = t.get("exclude_tables", ["_prisma_migrations"])
        if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
            r.problems.append(f"{key}.exclude_tables: expected a list of table names")
            exclude = []
        channel = r.str(t, key, "channel")
        if channel and not _SLACK_CHANNEL.match(channel):
            r.problems.append(f"{key}.channel: {channel!r} is not a Slack channel id (C…/G…)")
        dump_dir = r.str(t, key, "pg_dump_dir")
        checks = _read_health_checks(r, t.get("health_checks", []), f"{key}.health_checks")
        if db is None or mode is None or snapshot is None:
            continue
        targets[name] = Target(
            name=name,
            database_url=db,
            mode=mode,
            snapshot=snapshot,
            desired_url=desired_url,
            desired_schema_file=(base / schema_file) if schema_file else None,
            commands=commands,
            neon=neon,
            pg_dump_dir=(base / dump_dir) if dump_dir else None,
            channel=channel,
            exclude_tables=tuple(exclude),
            rehearsal=r.choice(t, key, "rehearsal", ("full", "schema-only", "off"), default="full")
            or "full",
            health_checks=checks,
        )
    return targets


def _read_commands(r: _Reader, c: dict[str, Any], key: str, base: Path) -> CommandsSettings:
    r.unknown(
        c,
        key,
        {
            "checkout",
            "branch",
            "dev_sync",
            "generate_client",
            "diff",
            "diff_output",
            "apply",
            "verify",
            "schema_path",
            "env",
        },
    )
    d = CommandsSettings(checkout=Path("."))
    checkout = r.str(c, key, "checkout", required=True) or "."
    env_table = r.table(c.get("env"), f"{key}.env")
    env = tuple(
        (k, Secret(v, sensitive=bool(_SENSITIVE_KEY.search(k))))
        for k in sorted(env_table)
        if (v := r.str(env_table, f"{key}.env", k)) is not None
    )
    return CommandsSettings(
        checkout=base / checkout,
        branch=r.str(c, key, "branch", default=d.branch),
        dev_sync=r.argv(c, key, "dev_sync", default=d.dev_sync) or (),
        generate_client=r.argv(c, key, "generate_client", default=None),
        diff=r.argv(c, key, "diff", default=d.diff) or (),
        diff_output=r.str(c, key, "diff_output", default=d.diff_output),
        apply=r.argv(c, key, "apply", default=None),
        verify=r.argv(c, key, "verify", default=d.verify),
        schema_path=r.str(c, key, "schema_path", default=d.schema_path),
        env=env,
    )


def _read_neon(r: _Reader, n: dict[str, Any], key: str) -> NeonSettings | None:
    r.unknown(
        n,
        key,
        {
            "api_key",
            "project_id",
            "branch_id",
            "api_url",
            "method",
            "poll_interval",
            "operation_timeout",
        },
    )
    api_key = r.secret(n, key, "api_key", required=True)
    project = r.str(n, key, "project_id", required=True)
    branch = r.str(n, key, "branch_id", required=True)
    d = NeonSettings(api_key=Secret(""), project_id="", branch_id="")
    if api_key is None or project is None or branch is None:
        return None
    return NeonSettings(
        api_key=api_key,
        project_id=project,
        branch_id=branch,
        api_url=r.str(n, key, "api_url", default=d.api_url).rstrip("/"),
        method=r.choice(n, key, "method", ("snapshot", "branch"), default=d.method) or d.method,
        poll_interval_s=r.duration(n, key, "poll_interval", default=d.poll_interval_s),
        operation_timeout_s=r.duration(n, key, "operation_timeout", default=d.operation_timeout_s),
    )


def _read_health_checks(r: _Reader, data: Any, key: str) -> tuple[HealthCheck, ...]:
    if not isinstance(data, list):
        r.problems.append(f"{key}: expected an array of tables ([[...health_checks]])")
        return ()
    checks = []
    for i, item in enumerate(data):
        k = f"{key}[{i}]"
        h = r.table(item, k)
        r.unknown(h, k, {"name", "kind", "url", "command", "expect_status", "timeout"})
        kind = r.choice(h, k, "kind", HEALTH_KINDS, required=True)
        name = r.str(h, k, "name", default=kind or f"check {i + 1}")
        url = r.str(h, k, "url")
        command = r.argv(h, k, "command", default=None)
        if kind == "http" and not url:
            r.problems.append(f'{k}.url: required for kind = "http"')
        if kind in ("log", "command") and not command:
            r.problems.append(f'{k}.command: required for kind = "{kind}"')
        status = h.get("expect_status", [200, 299])
        if not (
            isinstance(status, list)
            and len(status) == 2
            and all(isinstance(x, int) for x in status)
        ):
            r.problems.append(f"{k}.expect_status: expected [low, high], e.g. [200, 299]")
            status = [200, 299]
        if kind:
            checks.append(
                HealthCheck(
                    name=name,
                    kind=kind,
                    url=url,
                    command=command,
                    expect_status=(status[0], status[1]),
                    timeout_s=r.duration(h, k, "timeout", default=10.0),
                )
            )
    return tuple(checks)

"""``load_settings``: the TOML file plus the documented environment variables → Settings."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.config.reader import _Reader
from bot.config.settings import (
    _SLACK_CHANNEL,
    _SLACK_PRINCIPAL,
    _SLACK_TEAM,
    _TERMINAL_USER,
    Policy,
    Schedules,
    Secret,
    Settings,
    SlackSettings,
    Timeouts,
)
from bot.config.targets import _read_targets
from bot.errors import ConfigError


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
    r.unknown(raw, "", {"bot", "access", "slack", "timeouts", "schedules", "targets"})
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
        {
            "requesters",
            "reviewers",
            "four_eyes",
            "second_approver_for_destructive",
            "terminal_reviewers",
            "readers",
        },
    )
    policy = Policy(
        requesters=r.ids(access, "access", "requesters", _SLACK_PRINCIPAL, "Slack user/group id"),
        reviewers=r.ids(access, "access", "reviewers", _SLACK_PRINCIPAL, "Slack user/group id"),
        four_eyes=r.bool(access, "access", "four_eyes", default=True),
        second_approver_for_destructive=r.bool(
            access, "access", "second_approver_for_destructive", default=False
        ),
        terminal_reviewers=_terminal_reviewers(r, access),
        readers=r.ids(access, "access", "readers", _SLACK_PRINCIPAL, "Slack user/group id"),
    )
    slack_table = r.table(raw.get("slack"), "slack")
    r.unknown(slack_table, "slack", {"team_id"})
    team_id = r.str(slack_table, "slack", "team_id")
    if team_id is not None and not _SLACK_TEAM.match(team_id):
        r.problems.append(f"slack.team_id: {team_id!r} is not a Slack workspace id (T…)")
        team_id = None
    t = r.table(raw.get("timeouts"), "timeouts")
    r.unknown(
        t,
        "timeouts",
        {
            "command",
            "step",
            "lock_timeout",
            "statement_timeout",
            "approval_ttl",
            "snapshot_max_age",
        },
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
        snapshot_max_age_s=r.duration(
            t, "timeouts", "snapshot_max_age", default=d.snapshot_max_age_s
        ),
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
        team_id=team_id,
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


def _terminal_reviewers(r: _Reader, access: dict[str, Any]) -> tuple[str, ...]:
    """``access.terminal_reviewers``: OS user names or ``user@host``. A Slack id here is a
    mistake worth naming: the terminal records the OS identity, never a Slack one."""
    names = r.ids(
        access, "access", "terminal_reviewers", _TERMINAL_USER, "OS user name or user@host"
    )
    slack_like = [n for n in names if _SLACK_PRINCIPAL.match(n)]
    for name in slack_like:
        r.problems.append(
            f"access.terminal_reviewers: {name!r} looks like a Slack id; name the OS user "
            "(or user@host) who runs `align run`"
        )
    return tuple(n for n in names if n not in slack_like)


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

"""Reading ``[targets.NAME]`` tables: commands mode, Neon snapshots and health checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.config.reader import _Reader
from bot.config.settings import (
    _SLACK_CHANNEL,
    HEALTH_KINDS,
    CommandsSettings,
    HealthCheck,
    NeonSettings,
    Secret,
    Target,
)

_SENSITIVE_KEY = re.compile(r"PASS|TOKEN|SECRET|KEY|CREDENTIAL|AUTH|PRIVATE|DSN", re.I)
_TARGET_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

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

"""Configuration: one TOML file plus the documented environment variables → typed, frozen settings.

``load_settings`` runs once at start-up and is the only reader of ``os.environ`` (callers pass
the mapping). Every problem found (missing key, wrong type, unknown key, unresolved ``${ENV}``
reference) is collected and raised together in one :class:`ConfigError`, each naming its key.
Secrets are never written in the file: values may reference the environment as ``${NAME}`` or
``${NAME:-default}``, and resolved values are wrapped in :class:`Secret` (masked repr).

The package is split by job; import everything from ``bot.config`` itself:

- :mod:`bot.config.settings` — the frozen dataclasses, :class:`Secret`, ``parse_duration`` and
  constants (``DEFAULT_COMMANDS``, ``HEALTH_KINDS``);
- :mod:`bot.config.reader` — ``_Reader``, which walks the TOML tree, resolves ``${ENV}`` and
  collects problems instead of raising;
- :mod:`bot.config.targets` — reading ``[targets.NAME]`` (commands, neon, health checks);
- :mod:`bot.config.load` — ``load_settings``, the entry point.
"""

from __future__ import annotations

from bot.config.load import load_settings
from bot.config.settings import (
    DEFAULT_COMMANDS,
    HEALTH_KINDS,
    CommandsSettings,
    HealthCheck,
    NeonSettings,
    Policy,
    Schedules,
    Secret,
    Settings,
    SlackSettings,
    Target,
    Timeouts,
    parse_duration,
)

__all__ = [
    "DEFAULT_COMMANDS",
    "HEALTH_KINDS",
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

"""``_Reader``: walks the TOML tree, resolves ``${ENV}`` references and collects problems.

Each accessor records a message naming the offending key instead of raising, so
:func:`bot.config.load_settings` can report every problem at once.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from bot.config.settings import Secret, parse_duration

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


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

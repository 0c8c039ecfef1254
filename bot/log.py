"""Logging setup: one line per event (JSON by default), secrets masked, run context attached.

``bot/log.py`` is the only place that configures handlers; modules just use
``logging.getLogger(__name__)``. ``run_id``, ``target`` and ``step`` come from contextvars set
with :func:`log_context`, so every line a run produces can be found without passing loggers
around. The masker runs on the message, every ``extra`` field and the traceback *before* the
JSON line is serialised (serialising escapes ``"`` and ``\\``, which would hide a secret from a
mask applied afterwards), and on the finished line of the text format, so a token or password
that slips into a log line is replaced by ``***``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from bot.secrets import Masker

__all__ = [
    "ContextFilter",
    "JsonFormatter",
    "bind_run_context",
    "log_context",
    "remember_run",
    "setup_logging",
]

_CONTEXT: dict[str, ContextVar[str | None]] = {
    "run_id": ContextVar("align_run_id", default=None),
    "target": ContextVar("align_target", default=None),
    "step": ContextVar("align_step", default=None),
}
# The latest target/step of recent runs (bot/observe.py keeps it current), so a line that only
# names its run (``extra={"run_id": ...}``) still carries the run's target and step.
_RUNS: OrderedDict[str, dict[str, str]] = OrderedDict()
_RUNS_KEPT = 1024
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


@contextlib.contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Attach ``run_id``/``target``/``step`` to every log line emitted inside the block."""
    tokens = []
    for name, value in values.items():
        if name not in _CONTEXT:
            raise ValueError(f"unknown log context field {name!r} (known: {', '.join(_CONTEXT)})")
        tokens.append((_CONTEXT[name], _CONTEXT[name].set(value)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_run_context(*, run_id: str, target: str, step: str) -> None:
    """Set the run context for the rest of the current task, without a reset: only for a task
    that belongs to one run (the runner's ``run <id> …`` tasks), whose context dies with it."""
    _CONTEXT["run_id"].set(run_id)
    _CONTEXT["target"].set(target)
    _CONTEXT["step"].set(step)


def remember_run(run_id: str, *, target: str, step: str) -> None:
    """Record a run's current target and step for lines that name only the run id."""
    _RUNS[run_id] = {"target": target, "step": step}
    _RUNS.move_to_end(run_id)
    while len(_RUNS) > _RUNS_KEPT:
        _RUNS.popitem(last=False)


class ContextFilter(logging.Filter):
    """Copies the current run context onto each record (as attributes, when set); a record
    that names a run known to :func:`remember_run` gets that run's target and step too."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _CONTEXT.items():
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        known = _RUNS.get(str(getattr(record, "run_id", "")))
        if known:
            for name, value in known.items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...context and extra fields, "exc"?}`` on one line,
    each text field masked before it is serialised."""

    def __init__(self, masker: Masker | None = None) -> None:
        super().__init__()
        self._masker = masker or Masker()

    def format(self, record: logging.LogRecord) -> str:
        mask = self._masker.mask
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                plain = isinstance(value, int | float | bool | None)
                entry[key] = value if plain else mask(str(value))
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{k}={getattr(record, k)}" for k in _CONTEXT if getattr(record, k, None) is not None
        )
        return f"{line} [{context}]" if context else line


class _MaskingFormatter(logging.Formatter):
    """Wraps another formatter and masks the finished text."""

    def __init__(self, inner: logging.Formatter, masker: Masker) -> None:
        super().__init__()
        self._inner = inner
        self._masker = masker

    def format(self, record: logging.LogRecord) -> str:
        return self._masker.mask(self._inner.format(record))


def setup_logging(
    *,
    level: str = "INFO",
    fmt: str = "json",
    masker: Masker | None = None,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Configure the root logger once (replacing handlers this function installed before)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    masker = masker or Masker()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(masker))
    else:
        handler.setFormatter(_MaskingFormatter(_TextFormatter(), masker))
    handler.addFilter(ContextFilter())
    handler.set_name("align")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "align"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries stay quieter than our own INFO lines (bolt logs payload details at DEBUG).
    for noisy in ("slack_bolt", "slack_sdk", "aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler

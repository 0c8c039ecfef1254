"""A tiny Prometheus registry: labelled counters and histograms rendered as text format 0.0.4.

Enough for ``GET /metrics`` without a new dependency. Pure: no I/O; the HTTP route renders it.
Metric and label names are fixed when a metric is created; values are kept per label tuple.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import TypeVar

__all__ = ["CONTENT_TYPE", "STEP_BUCKETS", "Counter", "Gauge", "Histogram", "Metrics", "Registry"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_M = TypeVar("_M", bound="_Metric")
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Workflow steps take from milliseconds (a no-op diff) to an hour (a big pg_dump).
STEP_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Metric:
    kind = ""

    def __init__(self, name: str, help_text: str, labelnames: Iterable[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.labelnames = tuple(labelnames)

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {tuple(labels)}")
        return tuple(str(labels[n]) for n in self.labelnames)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help_text: str, labelnames: Iterable[str] = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self._values: dict[tuple[str, ...], float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError("counters only go up")
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0.0)

    def lines(self) -> list[str]:
        out = self.header()
        if not self.labelnames and not self._values:
            out.append(f"{self.name} 0")
        for key in sorted(self._values):
            out.append(f"{self.name}{_labels(self.labelnames, key)} {_number(self._values[key])}")
        return out


class Gauge(_Metric):
    """A value that goes up and down (last value set wins), per label tuple."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, labelnames: Iterable[str] = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self._values: dict[tuple[str, ...], float] = {}

    def set(self, value: float, **labels: str) -> None:
        self._values[self._key(labels)] = float(value)

    def value(self, **labels: str) -> float | None:
        return self._values.get(self._key(labels))

    def lines(self) -> list[str]:
        out = self.header()
        for key in sorted(self._values):
            out.append(f"{self.name}{_labels(self.labelnames, key)} {_number(self._values[key])}")
        return out


class Histogram(_Metric):
    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labelnames: Iterable[str] = (),
        *,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        super().__init__(name, help_text, labelnames)
        self.buckets = tuple(sorted(buckets))
        self._counts: dict[tuple[str, ...], list[int]] = {}
        self._sums: dict[tuple[str, ...], float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
        counts[bisect_left(self.buckets, value)] += 1
        self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        return sum(self._counts.get(self._key(labels), []))

    def lines(self) -> list[str]:
        out = self.header()
        for key in sorted(self._counts):
            cumulative = 0
            for bound, n in zip((*self.buckets, math.inf), self._counts[key], strict=True):
                cumulative += n
                le = f'le="{_number(bound)}"'
                out.append(f"{self.name}_bucket{_labels(self.labelnames, key, le)} {cumulative}")
            out.append(f"{self.name}_sum{_labels(self.labelnames, key)} {self._sums[key]!r}")
            out.append(f"{self.name}_count{_labels(self.labelnames, key)} {cumulative}")
        return out


class Registry:
    """Holds metrics by name; ``render()`` is the /metrics body."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def counter(self, name: str, help_text: str, labelnames: Iterable[str] = ()) -> Counter:
        return self._add(Counter(name, help_text, labelnames))

    def gauge(self, name: str, help_text: str, labelnames: Iterable[str] = ()) -> Gauge:
        return self._add(Gauge(name, help_text, labelnames))

    def histogram(
        self,
        name: str,
        help_text: str,
        labelnames: Iterable[str] = (),
        *,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        return self._add(Histogram(name, help_text, labelnames, buckets=buckets))

    def _add(self, metric: _M) -> _M:
        existing = self._metrics.get(metric.name)
        if existing is not None:
            if type(existing) is not type(metric) or existing.labelnames != metric.labelnames:
                raise ValueError(f"metric {metric.name} already registered differently")
            return existing  # type: ignore[return-value]
        self._metrics[metric.name] = metric
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for name in sorted(self._metrics):
            lines.extend(self._metrics[name].lines())  # type: ignore[attr-defined]
        return "\n".join(lines) + "\n"


class Metrics:
    """The bot's metrics. Later features add theirs (e.g. runs by outcome) on ``registry``."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or Registry()
        r = self.registry
        self.requests = r.counter(
            "align_slack_requests_total",
            "Requests received from Slack, by kind and HTTP status answered.",
            ("kind", "status"),
        )
        self.ack_seconds = r.histogram(
            "align_slack_ack_seconds",
            "Time from a Slack request's arrival to its acknowledgement.",
            ("kind",),
        )
        self.retries_dropped = r.counter(
            "align_slack_retries_dropped_total",
            "Slack retries acknowledged and dropped so work never starts twice.",
            ("kind",),
        )
        self.api_errors = r.counter(
            "align_slack_api_errors_total",
            "Slack Web API calls that failed, by method and error.",
            ("method", "error"),
        )
        self.task_failures = r.counter(
            "align_background_task_failures_total", "Background tasks that raised.", ()
        )
        # Runs (fed by bot/observe.py) and scheduled jobs (bot/scheduler.py, bot/jobs/).
        self.runs = r.counter(
            "align_runs_total",
            "Runs that reached a final state, by target and outcome "
            "(in_sync, out_of_sync, not_verified, rejected, cancelled, failed, interrupted).",
            ("target", "outcome"),
        )
        self.step_seconds = r.histogram(
            "align_step_duration_seconds",
            "Duration of workflow steps, by step and how it ended.",
            ("step", "status"),
            buckets=STEP_BUCKETS,
        )
        self.drift_checks = r.counter(
            "align_drift_checks_total",
            "Drift-watch checks, by target and result (in_sync, drift, error, busy, skipped).",
            ("target", "result"),
        )
        self.drift_statements = r.gauge(
            "align_drift_statements",
            "Statements needed to bring production in line, as of the last drift check.",
            ("target",),
        )
        self.jobs = r.counter(
            "align_scheduled_jobs_total",
            "Scheduled job firings, by job and result (ok, failed, skipped: another replica "
            "ran it).",
            ("job", "result"),
        )

    def render(self) -> str:
        return self.registry.render()

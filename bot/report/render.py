"""ReportData → Markdown (jinja2 template) and JSON; the files to attach. Pure (reads only the
template that ships with the package).

Markdown safety lives in the filters: ``code`` picks a backtick fence longer than any run in the
value, ``cell`` escapes table pipes, ``fence`` picks a code-block fence that the content cannot
close. Long SQL is cut in the Markdown with a pointer to the attached ``<run-id>.sql``; the JSON
and the attachment always carry it whole.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from bot.report.display import when
from bot.report.model import Check, ReportData
from bot.secrets import Masker

__all__ = ["MAX_SQL_BYTES", "MAX_SQL_LINES", "render_markdown", "report_files", "to_json"]

MAX_SQL_LINES = 200
MAX_SQL_BYTES = 20_000
MAX_OUTPUT_LINES = 60

_TEMPLATES = Path(__file__).parent / "templates"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def code(value: object) -> str:
    """Inline code that survives backticks in the value."""
    text = " ".join(str(value).split("\n"))
    ticks = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def cell(value: object) -> str:
    """A table cell: one line, pipes escaped, never empty."""
    text = " ".join(str("" if value is None else value).split())
    return text.replace("|", "\\|") or "—"


def inline(value: object) -> str:
    """Free text on one list line (continuation lines would break the list)."""
    return " ".join(str("" if value is None else value).split())


def fence(text: str | None, lang: str = "") -> str:
    """A fenced code block whose fence the content cannot close."""
    body = (text or "").rstrip("\n")
    ticks = "`" * max(3, _longest_backtick_run(body) + 1)
    return f"{ticks}{lang}\n{body}\n{ticks}"


def box(check: Check) -> str:
    mark = "x" if check.checked else " "
    note = f" — {inline(check.note)}" if check.note else ""
    return f"- [{mark}] {inline(check.label)}{note}"


def tail(text: str | None, lines: int = MAX_OUTPUT_LINES) -> str:
    kept = (text or "").rstrip("\n").splitlines()
    if len(kept) <= lines:
        return "\n".join(kept)
    return f"… {len(kept) - lines} earlier lines omitted\n" + "\n".join(kept[-lines:])


@dataclasses.dataclass(frozen=True)
class SqlExcerpt:
    shown: str
    more_lines: int
    total_lines: int


def sql_excerpt(sql: str | None) -> SqlExcerpt:
    """The first lines of ``sql`` within MAX_SQL_LINES and MAX_SQL_BYTES."""
    lines = (sql or "").rstrip("\n").splitlines()
    kept: list[str] = []
    size = 0
    for line in lines[:MAX_SQL_LINES]:
        size += len(line.encode()) + 1
        if size > MAX_SQL_BYTES and kept:
            break
        kept.append(line)
    return SqlExcerpt("\n".join(kept), len(lines) - len(kept), len(lines))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=False,  # Markdown, not HTML: escaping is done by the filters above
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        code=code, cell=cell, inline=inline, fence=fence, box=box, when=when, tail=tail
    )
    env.globals.update(sql_excerpt=sql_excerpt, MAX_SQL_LINES=MAX_SQL_LINES)
    return env


def render_markdown(report: ReportData, *, masker: Masker | None = None) -> str:
    """The alignment report as Markdown. ``masker``: one more pass over the finished text."""
    text = _environment().get_template("report.md.j2").render(r=report)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return masker.mask(text) if masker else text


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_json(report: ReportData) -> dict[str, Any]:
    """The same data as the Markdown, as plain JSON-ready values (times in ISO 8601)."""
    data = _plain(report)
    data["format"] = "align-report/1"
    return data


def report_files(report: ReportData, *, masker: Masker | None = None) -> dict[str, bytes]:
    """Files to attach: ``<run-id>.md`` and, when the run has SQL, ``<run-id>.sql``."""
    files = {f"{report.run_id}.md": render_markdown(report, masker=masker).encode()}
    if report.sql:
        sql = masker.mask(report.sql) if masker else report.sql
        files[report.sql_file_name] = sql.encode()
    return files


def dumps_json(report: ReportData, *, masker: Masker | None = None) -> str:
    text = json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
    return masker.mask(text) if masker else text

"""The alignment report: the team's runbook (seed/alignment-report-template.md) filled in from
one run's records in the store, as Markdown (jinja2) and JSON.

    records ──build_report──► ReportData ──render_markdown / to_json──► text
    store   ──load_report (async, the only I/O)──┘        report_files ──► {.md, .sql}
"""

from bot.report.build import build_report, labels_for
from bot.report.load import load_report
from bot.report.model import ReportData, ReportLabels
from bot.report.render import dumps_json, render_markdown, report_files, to_json

__all__ = [
    "ReportData",
    "ReportLabels",
    "build_report",
    "dumps_json",
    "labels_for",
    "load_report",
    "render_markdown",
    "report_files",
    "to_json",
]

"""Writing a run's report files next to its SQL (the workflow's last act, and after recovery)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Target
from bot.files import private_dir, write_private
from bot.report import labels_for, load_report, report_files
from bot.secrets import Masker
from bot.store import Store


async def write_report_files(
    store: Store, run_id: str, run_dir: Path, *, target: Target, masker: Masker
) -> list[Path]:
    """Render the report from the store and write ``<run>.md`` (+ ``<run>.sql``); returns paths,
    the Markdown first. The run folder is 0700 and the files 0600 (they name production's
    schema and the SQL applied to it)."""
    report = await load_report(store, run_id, masker=masker, labels=labels_for(target))
    files = report_files(report, masker=masker)

    def write() -> list[Path]:
        private_dir(run_dir)
        return [write_private(run_dir / name, content) for name, content in files.items()]

    return await asyncio.to_thread(write)

"""Writing a run's report files next to its SQL (the workflow's last act, and after recovery)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Target
from bot.report import labels_for, load_report, report_files
from bot.secrets import Masker
from bot.store import Store


async def write_report_files(
    store: Store, run_id: str, run_dir: Path, *, target: Target, masker: Masker
) -> list[Path]:
    """Render the report from the store and write ``<run>.md`` (+ ``<run>.sql``); returns paths,
    the Markdown first."""
    report = await load_report(store, run_id, masker=masker, labels=labels_for(target))
    files = report_files(report, masker=masker)

    def write() -> list[Path]:
        run_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, content in files.items():
            path = run_dir / name
            path.write_bytes(content)
            paths.append(path)
        return paths

    return await asyncio.to_thread(write)

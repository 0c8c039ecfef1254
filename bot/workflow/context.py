"""What every workflow step needs, passed explicitly (no globals)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import Settings, Target
from bot.secrets import Masker
from bot.store import Run, Store
from bot.workflow.command_env import runbook_env

# A listener hears about progress: (run, event, detail). The CLI prints it; Slack edits a message.
Listener = Callable[[Run, str, dict[str, Any]], Awaitable[None]]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class StepContext:
    settings: Settings
    target: Target
    store: Store
    masker: Masker
    run_dir: Path
    clock: Clock = field(default_factory=SystemClock)
    run_id: str = ""  # the run these steps work for (runbook commands see it as ALIGN_RUN_ID)

    @property
    def sql_path(self) -> Path:
        """Where the reviewed SQL lives (commands mode: the file the diff command writes)."""
        commands = self.target.commands
        if self.target.mode == "commands" and commands is not None:
            return commands.checkout / commands.diff_output
        return self.run_dir / "align.sql"

    def command_env(
        self, *, step: str, run_id: str | None = None, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The minimal environment for a runbook command of this target (see command_env.py):
        never the bot's own environment, which holds its Slack and state-store credentials."""
        return runbook_env(
            self.target,
            base=os.environ,
            step=step,
            run_id=self.run_id if run_id is None else run_id,
            extra=extra,
        )

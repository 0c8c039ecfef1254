"""What every workflow step needs, passed explicitly (no globals)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import Settings, Target
from bot.secrets import Masker
from bot.store import Run, Store

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

    @property
    def sql_path(self) -> Path:
        """Where the reviewed SQL lives (commands mode: the file the diff command writes)."""
        commands = self.target.commands
        if self.target.mode == "commands" and commands is not None:
            return commands.checkout / commands.diff_output
        return self.run_dir / "align.sql"

    def command_env(self) -> dict[str, str]:
        """The bot's environment plus the target's configured command environment."""
        env = dict(os.environ)
        if self.target.commands is not None:
            env.update({k: v.value for k, v in self.target.commands.env})
        return env

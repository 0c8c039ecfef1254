"""Typed errors of align-bot.

Every error the bot raises on purpose derives from :class:`AlignError` and carries a message a
Slack user can act on (``user_message()``) plus data about where it happened. Third-party
exceptions (asyncpg, aiohttp, slack_sdk, subprocess) are translated into these at the adapter
that called the library, with ``raise ... from exc``; nothing else catches them.

    AlignError
    ├── ConfigError          configuration file or environment is wrong (lists every problem)
    ├── CatalogError         a database could not be reached or read (URL shown masked)
    ├── StoreError           the bot's own state database failed
    ├── CommandError         a configured shell command failed or timed out
    │   └── DevSyncError     ... during the dev sync step
    ├── SnapshotError        a snapshot could not be taken or restored
    ├── PlanError            the SQL plan could not be produced or read
    │   └── PlanDrift        production changed since the plan was reviewed
    ├── ApplyError           a statement failed while applying (carries its index)
    ├── VerifyMismatch       production still differs from the desired schema after apply
    ├── NotifyError          Slack refused or failed a call
    ├── ReviewInputError     SQL given for review could not be read
    │   └── SqlInputError    the bytes are not SQL text (a NUL byte, invalid UTF-8); names where
    └── RunRefused           a request is not allowed (busy target, not a reviewer, bad state)
"""

from __future__ import annotations


class AlignError(Exception):
    """Root of the bot's own errors. ``str(err)`` is safe to show to users (no secrets)."""

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def user_message(self) -> str:
        return self.message


class ConfigError(AlignError):
    """Raised once with every problem found; ``problems`` is a list of "key: what is wrong"."""

    def __init__(self, problems: list[str], *, source: str = "config") -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {len(self.problems)} problem(s):\n{lines}", source=source)


class CatalogError(AlignError):
    pass


class StoreError(AlignError):
    pass


class CommandError(AlignError):
    def __init__(
        self, message: str, *, exit_code: int | None = None, output_tail: str = "", **ctx: object
    ) -> None:
        super().__init__(message, **ctx)
        self.exit_code = exit_code
        self.output_tail = output_tail


class DevSyncError(CommandError):
    pass


class SnapshotError(AlignError):
    pass


class PlanError(AlignError):
    pass


class PlanDrift(PlanError):
    pass


class ApplyError(AlignError):
    def __init__(
        self,
        message: str,
        *,
        statement_index: int | None = None,
        statement: str | None = None,
        **ctx: object,
    ) -> None:
        super().__init__(message, **ctx)
        self.statement_index = statement_index
        self.statement = statement


class VerifyMismatch(AlignError):
    pass


class NotifyError(AlignError):
    pass


class ReviewInputError(AlignError):
    pass


class SqlInputError(ReviewInputError):
    """SQL bytes that are not text: a NUL byte (the server and libpg_query stop reading at it, so
    everything after it would go unreviewed) or invalid UTF-8. ``offset`` is the byte offset of
    the first bad byte and ``line`` its 1-based line, so the author can find it in an editor."""

    def __init__(self, message: str, *, offset: int, line: int, **ctx: object) -> None:
        super().__init__(message, offset=offset, line=line, **ctx)
        self.offset = offset
        self.line = line


class RunRefused(AlignError):
    """A request that is not allowed; the message names the rule (who holds the target, ...)."""

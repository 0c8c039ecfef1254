"""What every snapshot provider returns and promises.

A snapshot is taken before production is changed so that the change can be undone, and it is
the source of the throwaway copy of production the SQL is rehearsed on. Providers differ in
*how* (Neon API, ``pg_dump`` file, nothing at all) but hand the workflow the same record,
:class:`SnapshotInfo`, which the workflow stores in ``run.data["snapshot"]`` (notes/run-data.md).
This module is pure: no I/O, so the record can be built and read anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

__all__ = [
    "AVAILABLE",
    "DELETED",
    "RESTORED",
    "SKIPPED",
    "STATUSES",
    "Clock",
    "CopyContext",
    "SnapshotInfo",
    "SnapshotProvider",
    "now_utc",
]

AVAILABLE = "available"
RESTORED = "restored"
DELETED = "deleted"
# provider "none": no snapshot was taken because the target's config says so. run-data.md names
# this status "skipped"; "none" (an earlier name) is still accepted when reading.
SKIPPED = "skipped"
STATUSES = (AVAILABLE, RESTORED, DELETED, SKIPPED)
_STATUS_ALIASES = {"none": SKIPPED}

Clock = Callable[[], datetime]


def now_utc(clock: Clock | None = None) -> datetime:
    """The current time from ``clock`` (tests inject one), always timezone-aware UTC."""
    value = clock() if clock is not None else datetime.now(UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot as the workflow records it. ``detail`` holds provider specifics (Neon branch
    and operation ids, the dump's tool versions, ...); it must never contain a secret."""

    provider: str  # "neon" | "pg_dump" | "none"
    id: str
    name: str
    created_at: datetime  # UTC: the moment production's state was captured
    status: str = AVAILABLE
    path: str | None = None
    size_bytes: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown snapshot status {self.status!r} (expected {STATUSES})")
        if self.created_at.tzinfo is None:
            raise ValueError("SnapshotInfo.created_at must be timezone-aware (UTC)")

    def with_status(self, status: str, **detail: Any) -> SnapshotInfo:
        """A copy with a new status and ``detail`` extended by the given keys."""
        return replace(self, status=status, detail={**self.detail, **detail})

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in ``run.data["snapshot"]``."""
        data = asdict(self)
        data["created_at"] = self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        data["detail"] = dict(self.detail)
        if self.path is None:
            del data["path"]
        if self.size_bytes is None:
            del data["size_bytes"]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SnapshotInfo:
        """Inverse of :meth:`to_json`; tolerates the optional keys being absent."""
        try:
            created = datetime.fromisoformat(str(data["created_at"]))
            status = str(data.get("status", AVAILABLE))
            return cls(
                provider=str(data["provider"]),
                id=str(data["id"]),
                name=str(data.get("name", data["id"])),
                created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
                status=_STATUS_ALIASES.get(status, status),
                path=data.get("path"),
                size_bytes=data.get("size_bytes"),
                detail=dict(data.get("detail") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a stored snapshot record: {exc}") from exc


class CopyContext(AbstractAsyncContextManager[str]):
    """What ``open_copy`` returns: an async context manager yielding the copy's URL.

    Both ``async with provider.open_copy(...) as url`` and
    ``async with await provider.open_copy(...) as url`` work, so callers may treat
    ``open_copy`` as a plain or as an async method.
    """

    def __init__(self, inner: AbstractAsyncContextManager[str]) -> None:
        self._inner = inner

    async def __aenter__(self) -> str:
        return await self._inner.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return await self._inner.__aexit__(exc_type, exc, tb)

    def __await__(self) -> Generator[Any, None, CopyContext]:
        async def itself() -> CopyContext:
            return self

        return itself().__await__()


class SnapshotProvider(Protocol):
    """The port the workflow uses. Every failure is a ``SnapshotError`` with a message a person
    can act on; no method ever puts a password or API key in a message, record or log line."""

    name: str

    async def create(self, *, run_id: str) -> SnapshotInfo:
        """Capture production now; return a record with status ``available`` (``skipped`` for
        provider "none")."""
        ...

    async def restore(self, info: SnapshotInfo) -> SnapshotInfo:
        """Put production back to the snapshot's state (status ``restored``). Destructive: the
        caller must have obtained a person's confirmation."""
        ...

    async def delete(self, info: SnapshotInfo) -> SnapshotInfo:
        """Remove the snapshot (status ``deleted``); deleting a missing snapshot is not an
        error."""
        ...

    def open_copy(self, info: SnapshotInfo, *, schema_only: bool) -> CopyContext:
        """A throwaway copy of production as of the snapshot, for rehearsal: the context yields
        its Postgres URL (with credentials: mask before showing) and removes it on exit."""
        ...

    async def prune(self, *, older_than: datetime) -> list[SnapshotInfo]:
        """Retention: delete this target's snapshots taken before ``older_than``; return them."""
        ...

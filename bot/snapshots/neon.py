"""Snapshots on Neon, through its API (see shared/reference/neon.md).

Two methods, chosen by ``[targets.X.neon] method``:

* ``snapshot`` (Neon snapshots, beta; root branches only): create =
  ``POST /projects/{p}/branches/{b}/snapshot?name=…``; restore =
  ``POST /projects/{p}/snapshots/{id}/restore`` with ``finalize_restore: true`` — Neon builds a
  new branch from the snapshot, moves production's compute onto it and keeps the old branch under
  another name, so **production's branch id changes** (recorded in the result's detail);
  delete = ``DELETE /projects/{p}/snapshots/{id}``.
* ``branch`` (all plans): create = a child branch of production (no compute); restore =
  ``POST /projects/{p}/branches/{b}/restore`` from it, preserving the pre-restore state under a
  name; delete = ``DELETE /projects/{p}/branches/{id}``.

Every returned operation is polled until it finishes; each action (request + polling) must end
within ``operation_timeout``. Rehearsal copies are branches with a read-write compute, deleted
afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp

from bot.config import NeonSettings
from bot.errors import SnapshotError
from bot.secrets import Masker
from bot.snapshots.base import (
    AVAILABLE,
    DELETED,
    RESTORED,
    Clock,
    CopyContext,
    SnapshotInfo,
    now_utc,
)
from bot.snapshots.neon_client import DEFAULT_RETRY, NeonClient, RetryPolicy, describe_pending
from bot.snapshots.pgtools import PgConn, PgTools

__all__ = ["NeonProvider"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Body = dict[str, Any]
_SLUG = re.compile(r"[^a-z0-9-]+")
_PLURAL = {"snapshot": "snapshots", "branch": "branches"}


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "x"


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class NeonProvider:
    name = "neon"

    def __init__(
        self,
        *,
        target_name: str,
        settings: NeonSettings,
        masker: Masker | None = None,
        clock: Clock | None = None,
        session: aiohttp.ClientSession | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.target_name = target_name
        self.settings = settings
        self.masker = (masker or Masker()).with_secrets([settings.api_key.value])
        self.clock = clock
        self.session = session
        self.retry = retry
        self._project = f"/projects/{settings.project_id}"

    @property
    def prefix(self) -> str:
        """Name prefix of everything this provider creates for its target (used by prune)."""
        return f"align-{_slug(self.target_name)}-"

    # ----------------------------------------------------------------- plumbing
    async def _run(self, what: str, step: Callable[[NeonClient, dict], Awaitable[T]]) -> T:
        """One action with its own client and the overall deadline (``operation_timeout``)."""
        seen: dict[str, dict[str, Any]] = {}
        timeout = self.settings.operation_timeout_s
        async with NeonClient(
            api_url=self.settings.api_url,
            api_key=self.settings.api_key.value,
            session=self.session,
            retry=self.retry,
            masker=self.masker,
        ) as client:
            try:
                async with asyncio.timeout(timeout):
                    return await step(client, seen)
            except TimeoutError as exc:
                pending = describe_pending(list(seen.values()))
                raise SnapshotError(
                    f"{what} did not finish within {timeout:g}s"
                    + (f" (still pending: {pending})" if pending else "")
                    + "; check the project's operations in the Neon console",
                    timed_out=True,
                ) from exc

    async def _poll(self, client: NeonClient, body: Mapping[str, Any] | None, seen: dict) -> list:
        operations = list((body or {}).get("operations") or [])
        await client.wait_for_operations(
            self.settings.project_id,
            operations,
            poll_interval_s=self.settings.poll_interval_s,
            latest=seen,
        )
        return [str(op["id"]) for op in operations]

    async def _post_or_find(
        self,
        client: NeonClient,
        path: str,
        *,
        find: Callable[[], Awaitable[Body | None]],
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Body:
        """POST a create; when the outcome is unknown (5xx, lost response) look the object up by
        name before trying again, so a retry never makes a duplicate."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await client.request("POST", path, params=params, json=json) or {}
            except SnapshotError as exc:
                if not exc.context.get("maybe_applied"):
                    raise
                found = await find()
                if found is not None:
                    log.warning("%s: response lost but the object exists; using it", path)
                    return found
                if attempt >= self.retry.attempts:
                    raise
                await asyncio.sleep(self.retry.delay(attempt, None))

    async def _find(self, client: NeonClient, kind: str, name: str) -> Body | None:
        """``{kind: obj, "operations": []}`` for the snapshot/branch called ``name``."""
        body = await client.request("GET", f"{self._project}/{_PLURAL[kind]}") or {}
        for item in body.get(_PLURAL[kind]) or []:
            if item.get("name") == name:
                return {kind: item, "operations": []}
        return None

    def _method(self, info: SnapshotInfo | None = None) -> str:
        if info is not None and info.provider != self.name:
            raise SnapshotError(f"snapshot {info.id} was not taken on Neon ({info.provider})")
        return str((info.detail.get("method") if info else None) or self.settings.method)

    # ----------------------------------------------------------------- create
    async def create(self, *, run_id: str) -> SnapshotInfo:
        name = f"{self.prefix}{_slug(run_id)}"
        method = self._method()
        what = f"taking the Neon {method} {name}"

        async def step(client: NeonClient, seen: dict) -> SnapshotInfo:
            if method == "snapshot":
                body = await self._post_or_find(
                    client,
                    f"{self._project}/branches/{self.settings.branch_id}/snapshot",
                    params={"name": name},
                    find=lambda: self._find(client, "snapshot", name),
                )
                obj = body.get("snapshot") or {}
            else:
                body = await self._create_branch(client, name, self.settings.branch_id)
                obj = body.get("branch") or {}
            if not obj.get("id"):
                raise SnapshotError(f"{what}: Neon's response named no {method} id")
            operation_ids = await self._poll(client, body, seen)
            return SnapshotInfo(
                provider=self.name,
                id=str(obj["id"]),
                name=str(obj.get("name") or name),
                created_at=_parse_time(obj.get("created_at")) or now_utc(self.clock),
                status=AVAILABLE,
                detail={
                    "method": method,
                    "run_id": run_id,
                    "project_id": self.settings.project_id,
                    "branch_id": self.settings.branch_id,
                    "operation_ids": operation_ids,
                },
            )

        info = await self._run(what, step)
        log.info("Neon %s taken: %s (%s)", method, info.name, info.id)
        return info

    async def _create_branch(
        self,
        client: NeonClient,
        name: str,
        parent_id: str,
        *,
        parent_timestamp: str | None = None,
        endpoint: bool = False,
    ) -> Body:
        branch: dict[str, Any] = {"parent_id": parent_id, "name": name}
        if parent_timestamp:
            branch["parent_timestamp"] = parent_timestamp
        payload: dict[str, Any] = {"branch": branch}
        if endpoint:
            payload["endpoints"] = [{"type": "read_write"}]
        return await self._post_or_find(
            client,
            f"{self._project}/branches",
            json=payload,
            find=lambda: self._find(client, "branch", name),
        )

    # ----------------------------------------------------------------- restore
    async def restore(self, info: SnapshotInfo) -> SnapshotInfo:
        method = self._method(info)
        production = self.settings.branch_id
        stamp = now_utc(self.clock).strftime("%Y%m%d-%H%M%S")

        async def step(client: NeonClient, seen: dict) -> SnapshotInfo:
            if method == "snapshot":
                body = await client.request(
                    "POST",
                    f"{self._project}/snapshots/{info.id}/restore",
                    json={
                        "target_branch_id": production,
                        "finalize_restore": True,
                        "name": f"{info.name}-restored-{stamp}",
                    },
                )
            else:
                body = await client.request(
                    "POST",
                    f"{self._project}/branches/{production}/restore",
                    json={
                        "source_branch_id": info.id,
                        "preserve_under_name": f"{info.name}-replaced-{stamp}",
                    },
                )
            operation_ids = await self._poll(client, body, seen)
            extra: dict[str, Any] = {
                "restored_at": now_utc(self.clock).isoformat(),
                "restore_operation_ids": operation_ids,
            }
            new_branch = _restored_branch(body or {}, production) if method == "snapshot" else None
            if new_branch and new_branch != production:
                extra["production_branch_id"] = new_branch
                extra["note"] = (
                    f"Neon moved production's compute to branch {new_branch} and kept the old "
                    f"branch {production} under another name; set neon.branch_id = "
                    f'"{new_branch}" for this target before the next run'
                )
            return info.with_status(RESTORED, **extra)

        restored = await self._run(f"restoring production from the Neon {method} {info.id}", step)
        log.warning("production restored from Neon %s %s", method, info.id)
        return restored

    # ----------------------------------------------------------------- delete / prune
    async def delete(self, info: SnapshotInfo) -> SnapshotInfo:
        method = self._method(info)
        kind = "snapshots" if method == "snapshot" else "branches"
        if kind == "branches" and info.id == self.settings.branch_id:
            raise SnapshotError(f"refusing to delete {info.id}: it is the production branch")

        async def step(client: NeonClient, seen: dict) -> SnapshotInfo:
            body = await client.request(
                "DELETE", f"{self._project}/{kind}/{info.id}", missing_ok=True
            )
            await self._poll(client, body, seen)
            return info.with_status(DELETED, deleted_at=now_utc(self.clock).isoformat())

        return await self._run(f"deleting the Neon {method} {info.id}", step)

    async def prune(self, *, older_than: datetime) -> list[SnapshotInfo]:
        """Delete this target's snapshots/branches (and leftover rehearsal branches) made by
        the bot before ``older_than``; Neon objects with other names are never touched."""
        method = self._method()
        kinds = ["snapshot", "branch"] if method == "snapshot" else ["branch"]
        removed = []
        for kind in kinds:

            async def listing(client: NeonClient, seen: dict, kind: str = kind) -> list[dict]:
                body = await client.request("GET", f"{self._project}/{_PLURAL[kind]}")
                return list((body or {}).get(_PLURAL[kind]) or [])

            items = await self._run(f"listing Neon {_PLURAL[kind]}", listing)
            # with method "snapshot", branches made by the bot are only rehearsal leftovers
            prefix = self.prefix if kind == method else f"{self.prefix}rehearsal-"
            for item in items:
                created = _parse_time(item.get("created_at"))
                name = str(item.get("name") or "")
                if created is None or created >= older_than or not name.startswith(prefix):
                    continue
                info = SnapshotInfo(
                    provider=self.name,
                    id=str(item["id"]),
                    name=name,
                    created_at=created,
                    detail={"method": kind},
                )
                removed.append(await self.delete(info))
        return removed

    # ----------------------------------------------------------------- rehearsal copy
    def open_copy(self, info: SnapshotInfo, *, schema_only: bool) -> CopyContext:
        return CopyContext(self._copy(info, schema_only=schema_only))

    @contextlib.asynccontextmanager
    async def _copy(self, info: SnapshotInfo, *, schema_only: bool) -> AsyncIterator[str]:
        method = self._method(info)
        run_id = str(info.detail.get("run_id") or info.id)
        name = f"{self.prefix}rehearsal-{_slug(run_id)}"
        if method == "branch":
            parent, at = info.id, None
        else:  # a branch of production as of the snapshot's time
            parent = self.settings.branch_id
            at = info.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")

        async def make(client: NeonClient, seen: dict) -> Body:
            body = await self._create_branch(
                client, name, parent, parent_timestamp=at, endpoint=True
            )
            await self._poll(client, body, seen)
            return body

        body = await self._run(f"creating the Neon rehearsal branch {name}", make)
        branch_id = str((body.get("branch") or {}).get("id") or "")
        if branch_id == self.settings.branch_id:
            # A lost response resolved by name, or an API answering oddly: the "copy" would be
            # production itself, and deleting it afterwards would delete production.
            raise SnapshotError(
                f"Neon returned the production branch {branch_id} as the rehearsal branch "
                f"{name}; refusing to rehearse on production (rename that branch)"
            )
        failed = False
        try:
            uris = body.get("connection_uris") or []
            uri = uris[0].get("connection_uri") if uris else None
            if not branch_id or not uri:
                raise SnapshotError(
                    f"Neon created the rehearsal branch {name} without a connection URI"
                )
            if schema_only:
                await PgTools(masker=self.masker).empty_tables(PgConn(uri))
            yield uri
        except BaseException:
            failed = True
            raise
        finally:
            if branch_id:
                try:
                    await self.delete(
                        SnapshotInfo(
                            provider=self.name,
                            id=branch_id,
                            name=name,
                            created_at=now_utc(self.clock),
                            detail={"method": "branch"},
                        )
                    )
                except SnapshotError as exc:
                    if not failed:
                        raise
                    log.error("rehearsal branch %s was not deleted: %s", branch_id, exc)


def _restored_branch(body: Mapping[str, Any], production: str) -> str | None:
    """The branch a snapshot restore created: the response's branch, or its operations'."""
    branch = body.get("branch")
    if isinstance(branch, dict) and branch.get("id"):
        return str(branch["id"])
    operations = body.get("operations") or []
    for op in operations:
        if op.get("action") == "create_branch" and op.get("branch_id"):
            return str(op["branch_id"])
    for op in operations:
        if op.get("branch_id") and op.get("branch_id") != production:
            return str(op["branch_id"])
    return None

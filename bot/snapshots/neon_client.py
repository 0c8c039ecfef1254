"""A small Neon API v2 client: JSON over aiohttp, errors translated into SnapshotError.

This is the one place aiohttp errors and Neon error bodies (``{"code", "message",
"request_id"}``) become :class:`SnapshotError`. Behaviour that follows Neon's documentation
(shared/reference/neon.md):

* HTTP 429 (rate limit) is always retried with backoff — the request was not applied.
* HTTP 5xx, timeouts and connection errors are retried only for idempotent requests (GET,
  DELETE). For POSTs a lost response may hide an applied request, so the error is raised with
  ``context["maybe_applied"] = True`` and the caller looks up the state before trying again.
* Every request has its own timeout; a whole action (request + polling) has the caller's.
* The API key only ever travels in the Authorization header and is masked out of every message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from bot.errors import SnapshotError
from bot.secrets import Masker

__all__ = ["FAILED", "FINISHED", "NeonClient", "RetryPolicy", "describe_pending"]

log = logging.getLogger(__name__)

FINISHED = frozenset({"finished", "skipped"})
FAILED = frozenset({"failed", "error", "cancelled"})
_IDEMPOTENT = frozenset({"GET", "DELETE", "HEAD"})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff (``Retry-After`` honoured, capped)."""

    attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    request_timeout_s: float = 30.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            with contextlib.suppress(ValueError):
                return min(float(retry_after), self.max_backoff_s)
        return min(self.backoff_s * (2 ** (attempt - 1)), self.max_backoff_s)


DEFAULT_RETRY = RetryPolicy()


class NeonClient:
    """``async with NeonClient(api_url=..., api_key=...) as neon: await neon.request(...)``.

    Pass ``session`` to share an aiohttp session (it is then not closed here).
    """

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        session: aiohttp.ClientSession | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        masker: Masker | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._api_key = api_key
        self._session = session
        self._owns_session = session is None
        self.retry = retry
        self.masker = (masker or Masker()).with_secrets([api_key])

    async def __aenter__(self) -> NeonClient:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    # ----------------------------------------------------------------- requests
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The decoded JSON body (``{}`` when empty); ``None`` for a 404 when ``missing_ok``."""
        if self._session is None:
            raise RuntimeError("NeonClient used outside 'async with'")
        retry_unsafe = method.upper() in _IDEMPOTENT
        what = f"Neon API {method.upper()} {path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                status, headers, body = await self._send(method, path, params=params, json=json)
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = "timed out" if isinstance(exc, TimeoutError) else self._mask(str(exc))
                if retry_unsafe and attempt < self.retry.attempts:
                    await self._pause(what, attempt, None, reason)
                    continue
                raise SnapshotError(
                    f"{what} failed: {reason or type(exc).__name__}"
                    + ("" if retry_unsafe else "; the request may still have been applied"),
                    maybe_applied=not retry_unsafe,
                ) from exc
            if 200 <= status < 300:
                return body if isinstance(body, dict) else {}
            if status == 404 and missing_ok:
                return None
            retryable = status == 429 or (status >= 500 and retry_unsafe)
            if retryable and attempt < self.retry.attempts:
                await self._pause(what, attempt, headers.get("Retry-After"), f"HTTP {status}")
                continue
            raise self._error(what, status, body, maybe_applied=status >= 500 and not retry_unsafe)

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, str] | None, json: Any
    ) -> tuple[int, Mapping[str, str], Any]:
        assert self._session is not None
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        timeout = aiohttp.ClientTimeout(total=self.retry.request_timeout_s)
        async with self._session.request(
            method,
            self.api_url + path,
            params=params,
            json=json,
            headers=headers,
            timeout=timeout,
        ) as resp:
            text = await resp.text()
            try:
                body: Any = await resp.json(content_type=None) if text.strip() else {}
            except ValueError:
                body = {"message": text[:500]}
            return resp.status, resp.headers, body

    async def _pause(self, what: str, attempt: int, retry_after: str | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        log.warning("%s: %s; retrying in %.2fs (attempt %d)", what, why, delay, attempt + 1)
        await asyncio.sleep(delay)

    def _error(self, what: str, status: int, body: Any, *, maybe_applied: bool) -> SnapshotError:
        body = body if isinstance(body, dict) else {}
        code = str(body.get("code") or "")
        message = self._mask(str(body.get("message") or "no message"))
        request_id = body.get("request_id")
        text = f"{what} failed: HTTP {status}" + (f" {code}" if code else "") + f": {message}"
        if request_id:
            text += f" (request id {request_id})"
        if status == 429:
            text += "; Neon's rate limit was still exceeded after retrying"
        if maybe_applied:
            text += "; the request may still have been applied"
        return SnapshotError(
            text,
            http_status=status,
            neon_code=code,
            neon_message=message,
            request_id=request_id,
            maybe_applied=maybe_applied,
        )

    def _mask(self, text: str) -> str:
        return self.masker.mask(text)

    # ----------------------------------------------------------------- operations
    async def wait_for_operations(
        self,
        project_id: str,
        operations: Sequence[Mapping[str, Any]],
        *,
        poll_interval_s: float,
        latest: dict[str, dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Poll every operation until all succeed; raise on the first that fails.

        No deadline here: the caller wraps the whole action in one (``operation_timeout``) and
        reads the last seen states from ``latest`` to say what was still running.
        """
        latest = {} if latest is None else latest
        latest.update({str(op["id"]): dict(op) for op in operations})
        while True:
            for op in latest.values():
                _raise_if_failed(op)
            pending = [op_id for op_id, op in latest.items() if op.get("status") not in FINISHED]
            if not pending:
                return list(latest.values())
            await asyncio.sleep(poll_interval_s)
            for op_id in pending:
                body = await self.request("GET", f"/projects/{project_id}/operations/{op_id}")
                op = (body or {}).get("operation")
                if not isinstance(op, dict):
                    raise SnapshotError(f"Neon returned no operation for {op_id}")
                latest[op_id] = op


def _raise_if_failed(op: Mapping[str, Any]) -> None:
    status = op.get("status")
    if status in FAILED:
        error = op.get("error") or "no error detail given"
        raise SnapshotError(
            f"Neon operation {op.get('action', '?')} ({op.get('id')}) ended {status}: {error}",
            operation_id=op.get("id"),
            operation_status=status,
        )


def describe_pending(operations: Sequence[Mapping[str, Any]]) -> str:
    """``"create_branch (id) running"`` for each unfinished operation, for timeout messages."""
    return ", ".join(
        f"{op.get('action', '?')} ({op.get('id')}) {op.get('status')}"
        for op in operations
        if op.get("status") not in FINISHED
    )

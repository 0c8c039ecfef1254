"""A local stand-in for the Neon API v2 (the endpoints bot/snapshots uses), for tests.

Runs an aiohttp server on 127.0.0.1 (ephemeral port); point ``NeonSettings.api_url`` at
:attr:`NeonStandin.api_url`. Response shapes follow shared/reference/neon.md. Every request is
recorded. Failures are scripted:

* ``fail(method, path_regex, status=..., code=..., message=..., times=...)`` — an error response
  (``after_apply=True``: the request is carried out first, then the error is returned, like a
  lost response);
* ``slow(method, path_regex, delay_s=...)`` — a response delayed past the client's timeout;
* ``op_running_polls`` — how many polls an operation stays ``running``; ``op_outcome`` — its
  final status (``"failed"`` ...); ``op_never_finishes`` — it stays running forever.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

_JSON = web.RequestKey("json", dict)

_WORDS = itertools.cycle(["quiet-river", "young-forest", "billowing-night", "misty-lake"])


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Recorded:
    method: str
    path: str  # relative to /api/v2
    query: dict[str, str]
    json: Any
    authorization: str | None


@dataclass
class _Script:
    method: str
    pattern: re.Pattern[str]
    times: int
    status: int = 500
    code: str = ""
    message: str = ""
    retry_after: str | None = None
    after_apply: bool = False
    delay_s: float = 0.0


@dataclass
class NeonStandin:
    api_key: str = "napi_test_0123456789abcdefSECRET"
    project_id: str = "aged-wildflower-12345678"
    production_branch: str = "br-young-forest-a5b6c7d8"
    connection_uri: str | None = None
    op_running_polls: int = 0
    op_outcome: str = "finished"
    op_never_finishes: bool = False
    requests: list[Recorded] = field(default_factory=list)
    branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    _scripts: list[_Script] = field(default_factory=list)
    _remaining: dict[str, int] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    port: int = 0

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> NeonStandin:
        self.branches[self.production_branch] = self._branch_obj(
            self.production_branch, "production", parent_id=None
        )
        app = web.Application(middlewares=[self._middleware])
        p = r"/api/v2/projects/{project}"
        app.router.add_post(p + "/branches/{branch}/snapshot", self._create_snapshot)
        app.router.add_get(p + "/snapshots", self._list_snapshots)
        app.router.add_post(p + "/snapshots/{snapshot}/restore", self._restore_snapshot)
        app.router.add_delete(p + "/snapshots/{snapshot}", self._delete_snapshot)
        app.router.add_post(p + "/branches", self._create_branch)
        app.router.add_get(p + "/branches", self._list_branches)
        app.router.add_post(p + "/branches/{branch}/restore", self._restore_branch)
        app.router.add_delete(p + "/branches/{branch}", self._delete_branch)
        app.router.add_get(p + "/operations/{operation}", self._get_operation)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    # ----------------------------------------------------------------- scripting
    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int,
        code: str = "",
        message: str = "",
        times: int = 1,
        retry_after: str | None = None,
        after_apply: bool = False,
    ) -> None:
        self._scripts.append(
            _Script(
                method.upper(),
                re.compile(path),
                times,
                status=status,
                code=code,
                message=message,
                retry_after=retry_after,
                after_apply=after_apply,
            )
        )

    def slow(self, method: str, path: str, *, delay_s: float, times: int = 1) -> None:
        self._scripts.append(_Script(method.upper(), re.compile(path), times, delay_s=delay_s))

    def calls(self, method: str, path_regex: str = ".*") -> list[Recorded]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    # ----------------------------------------------------------------- plumbing
    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        path = request.path.removeprefix("/api/v2")
        body = await request.json() if request.can_read_body else None
        request[_JSON] = body or {}
        self.requests.append(
            Recorded(
                request.method,
                path,
                dict(request.query),
                body,
                request.headers.get("Authorization"),
            )
        )
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "", "authentication required")
        if request.match_info.get("project") not in (None, self.project_id):
            return _error(404, "", f"project {request.match_info.get('project')} not found")
        for script in self._scripts:
            if script.times > 0 and script.method == request.method and script.pattern.search(path):
                script.times -= 1
                if script.delay_s:
                    await asyncio.sleep(script.delay_s)
                    break
                if script.after_apply:
                    await handler(request)
                headers = {"Retry-After": script.retry_after} if script.retry_after else None
                return _error(script.status, script.code, script.message, headers=headers)
        return await handler(request)

    def _operation(self, action: str, branch_id: str | None) -> dict[str, Any]:
        op = {
            "id": str(uuid.uuid4()),
            "project_id": self.project_id,
            "branch_id": branch_id,
            "action": action,
            "status": "running",
            "failures_count": 0,
            "created_at": _now(),
            "updated_at": _now(),
            "total_duration_ms": 0,
        }
        self.operations[op["id"]] = op
        self._remaining[op["id"]] = self.op_running_polls
        return dict(op)

    def _branch_obj(self, branch_id: str, name: str, *, parent_id: str | None) -> dict[str, Any]:
        return {
            "id": branch_id,
            "project_id": self.project_id,
            "parent_id": parent_id,
            "name": name,
            "current_state": "ready",
            "default": parent_id is None,
            "protected": False,
            "created_at": _now(),
            "updated_at": _now(),
        }

    def _new_branch(self, name: str, parent_id: str | None) -> dict[str, Any]:
        branch_id = f"br-{next(_WORDS)}-{uuid.uuid4().hex[:8]}"
        branch = self._branch_obj(branch_id, name, parent_id=parent_id)
        self.branches[branch_id] = branch
        return branch

    # ----------------------------------------------------------------- handlers
    async def _create_snapshot(self, request: web.Request) -> web.Response:
        branch_id = request.match_info["branch"]
        if branch_id not in self.branches:
            return _error(404, "", f"branch {branch_id} not found")
        snap_id = f"snap-{next(_WORDS)}-{uuid.uuid4().hex[:8]}"
        snap = {
            "id": snap_id,
            "name": request.query.get("name") or f"snapshot-{snap_id}",
            "source_branch_id": branch_id,
            "created_at": _now(),
            "manual": True,
        }
        self.snapshots[snap_id] = snap
        op = self._operation("create_snapshot", branch_id)
        return web.json_response({"snapshot": snap, "operations": [op]})

    async def _list_snapshots(self, request: web.Request) -> web.Response:
        return web.json_response({"snapshots": list(self.snapshots.values())})

    async def _restore_snapshot(self, request: web.Request) -> web.Response:
        snap = self.snapshots.get(request.match_info["snapshot"])
        if snap is None:
            return _error(404, "", "snapshot not found")
        body = request[_JSON]
        target_id = body.get("target_branch_id") or snap["source_branch_id"]
        target = self.branches.get(target_id)
        if target is None:
            return _error(404, "", "target branch not found")
        new = self._new_branch(body.get("name") or f"{target['name']}-restored", None)
        if body.get("finalize_restore"):
            new["name"], target["name"] = target["name"], f"{target['name']}_old_{_now()}"
        ops = [
            self._operation("timeline_unarchive", new["id"]),
            self._operation("create_branch", new["id"]),
            self._operation("suspend_compute", target_id),
        ]
        return web.json_response({"operations": ops})

    async def _delete_snapshot(self, request: web.Request) -> web.Response:
        snap = self.snapshots.pop(request.match_info["snapshot"], None)
        if snap is None:
            return _error(404, "", "snapshot not found")
        return web.json_response({"snapshot": snap, "operations": []})

    async def _create_branch(self, request: web.Request) -> web.Response:
        body = request[_JSON]
        spec = body.get("branch") or {}
        parent = spec.get("parent_id") or self.production_branch
        if parent not in self.branches:
            return _error(404, "", f"parent branch {parent} not found")
        branch = self._new_branch(spec.get("name") or "branch", parent)
        ops = [self._operation("create_branch", branch["id"])]
        endpoints, uris = [], []
        if body.get("endpoints"):
            ep_id = f"ep-{next(_WORDS)}-{uuid.uuid4().hex[:8]}"
            endpoints.append(
                {
                    "id": ep_id,
                    "host": f"{ep_id}.us-east-2.aws.neon.tech",
                    "branch_id": branch["id"],
                    "type": "read_write",
                    "current_state": "init",
                }
            )
            ops.append(self._operation("start_compute", branch["id"]))
            if self.connection_uri:
                uris.append({"connection_uri": self.connection_uri, "connection_parameters": {}})
        return web.json_response(
            {
                "branch": branch,
                "endpoints": endpoints,
                "operations": ops,
                "roles": [{"branch_id": branch["id"], "name": "neondb_owner"}],
                "databases": [{"branch_id": branch["id"], "name": "neondb"}],
                "connection_uris": uris,
            },
            status=201,
        )

    async def _list_branches(self, request: web.Request) -> web.Response:
        return web.json_response({"branches": list(self.branches.values())})

    async def _restore_branch(self, request: web.Request) -> web.Response:
        branch = self.branches.get(request.match_info["branch"])
        body = request[_JSON]
        source = self.branches.get(body.get("source_branch_id") or "")
        if branch is None or source is None:
            return _error(404, "", "branch not found")
        if body.get("preserve_under_name"):
            self._new_branch(body["preserve_under_name"], branch["id"])
        ops = [self._operation("restore_branch", branch["id"])]
        return web.json_response({"branch": branch, "operations": ops})

    async def _delete_branch(self, request: web.Request) -> web.Response:
        branch = self.branches.pop(request.match_info["branch"], None)
        if branch is None:
            return _error(404, "", "branch not found")
        ops = [self._operation("delete_timeline", branch["id"])]
        return web.json_response({"branch": branch, "operations": ops})

    async def _get_operation(self, request: web.Request) -> web.Response:
        op_id = request.match_info["operation"]
        op = self.operations.get(op_id)
        if op is None:
            return _error(404, "", "operation not found")
        if op["status"] == "running" and not self.op_never_finishes:
            if self._remaining[op_id] > 0:
                self._remaining[op_id] -= 1
            else:
                op["status"] = self.op_outcome
                if self.op_outcome in ("failed", "error"):
                    op["error"] = "compute failed to start: internal error"
                op["updated_at"] = _now()
        return web.json_response({"operation": op})


def _error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
    return web.json_response(body, status=status, headers=headers)

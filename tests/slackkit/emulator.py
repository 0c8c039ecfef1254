"""A Slack Web API emulator for tests: aiohttp on an ephemeral loopback port.

The production ``AsyncWebClient`` is pointed at it (``SLACK_API_URL=emulator.api_url``); nothing
in bolt or slack_sdk is patched. It records every call with its full arguments (query string,
JSON body and form body merged; JSON-valued form fields such as ``blocks`` decoded), answers the
way Slack does (HTTP 200 with ``ok``/``error``), rejects what Slack rejects (unknown method,
missing arguments, bad tokens, blocks over Block Kit limits) and can script failures for the
next N calls of a method (HTTP 429 with Retry-After, 5xx, ``ok: false``). It also serves the
files upload v2 flow (an absolute upload URL pointing back here), response_url endpoints, and
Socket Mode (``apps.connections.open`` + a websocket that pushes envelopes and reads acks).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .blockkit import block_problems, view_problems

__all__ = ["Call", "SlackEmulator"]

_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass
class Call:
    """One request the emulator received."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    http_method: str = "POST"
    status: int = 200
    response: Any = None
    path: str = ""

    @property
    def ok(self) -> bool:
        return isinstance(self.response, dict) and self.response.get("ok") is True


@dataclass
class _Script:
    status: int
    error: str | None
    retry_after: int | None
    remaining: int


@dataclass
class _Socket:
    ws: web.WebSocketResponse
    acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)


Handler = Callable[[dict[str, Any], str], Awaitable[dict[str, Any]] | dict[str, Any]]


class SlackEmulator:
    """``async with SlackEmulator() as slack: ...``; ``slack.api_url`` is the Web API base URL."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        team_id: str = "T0ACME001",
        bot_user_id: str = "U0ALIGNBOT",
        bot_id: str = "B0ALIGNBOT",
        users: Mapping[str, Mapping[str, Any]] | None = None,
        usergroups: Mapping[str, Iterable[str]] | None = None,
        channel_members: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.users: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (users or {}).items()}
        self.usergroups: dict[str, list[str]] = {k: list(v) for k, v in (usergroups or {}).items()}
        self.channel_members: dict[str, list[str]] = {
            k: list(v) for k, v in (channel_members or {}).items()
        }
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self._pending_files: dict[str, dict[str, Any]] = {}
        self._used_triggers: set[str] = set()
        self._response_url_uses: dict[str, int] = {}
        self._scripts: dict[str, list[_Script]] = {}
        self._sockets: list[_Socket] = []
        self._connected = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._methods: dict[str, Handler] = {
            "api.test": lambda a, t: {"ok": True, "args": a},
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "conversations.members": self._conversation_members,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "apps.connections.open": self._connections_open,
        }

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> SlackEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._raw_upload)
        app.router.add_post("/hooks/{key:.+}", self._response_url)
        app.router.add_get("/socket/{n}", self._socket)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for sock in self._sockets:
            await sock.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def new_response_url(self, kind: str = "commands") -> str:
        """A fresh response_url (as Slack puts in command and action payloads)."""
        return f"{self.url}/hooks/{kind}/{self.team_id}/{next(self._ids)}/{uuid.uuid4().hex[:12]}"

    # ------------------------------------------------------------------ scripting
    def fail(
        self,
        method: str,
        error: str | None = None,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail: ``ok:false`` with ``error`` (HTTP
        200), HTTP 429 with ``Retry-After``, or a 5xx."""
        if status == 200 and error is None:
            raise ValueError("give an error code for an ok:false failure")
        self._scripts.setdefault(method, []).append(_Script(status, error, retry_after, times))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self.fail(method, "ratelimited", status=429, retry_after=retry_after, times=times)

    def server_error(self, method: str, *, status: int = 500, times: int = 1) -> None:
        self.fail(method, status=status, times=times)

    def recover(self, method: str | None = None) -> None:
        """Drop the scripted failures still queued (of ``method``, or of every method)."""
        if method is None:
            self._scripts.clear()
        else:
            self._scripts.pop(method, None)

    def _scripted(self, method: str) -> _Script | None:
        queue = self._scripts.get(method)
        if not queue:
            return None
        script = queue[0]
        script.remaining -= 1
        if script.remaining <= 0:
            queue.pop(0)
        return script

    # ------------------------------------------------------------------ assertions
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def api_calls(self) -> list[Call]:
        """Calls other than auth.test (which bolt makes on its own)."""
        return [c for c in self.calls if c.method != "auth.test"]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> Call:
        """Poll until a call to ``method`` matching ``predicate`` was recorded; return it."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            if time.monotonic() >= deadline:
                seen = ", ".join(c.method for c in self.calls) or "none"
                raise TimeoutError(f"no matching {method} call within {timeout}s (calls: {seen})")
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ HTTP plumbing
    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        ctype = request.content_type
        if body:
            if ctype == "application/json":
                data = json.loads(body)
                if isinstance(data, dict):
                    args.update(data)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args

    def _token(self, request: web.Request, args: dict[str, Any]) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :].strip()
        token = args.get("token")
        return token if isinstance(token, str) else None

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._read_args(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(
            method=method, args=args, headers=headers, http_method=request.method, path=request.path
        )
        self.calls.append(call)
        script = self._scripted(method)
        if script is not None:
            return self._answer_script(call, script)
        handler = self._methods.get(method)
        if handler is None:
            return self._answer(call, {"ok": False, "error": "unknown_method"})
        token = self._token(request, args)
        if not token:
            return self._answer(call, {"ok": False, "error": "not_authed"})
        if method == "apps.connections.open":
            if token != self.app_token:
                error = "not_allowed_token_type" if token == self.bot_token else "invalid_auth"
                return self._answer(call, {"ok": False, "error": error})
        elif token != self.bot_token:
            error = "not_allowed_token_type" if token == self.app_token else "invalid_auth"
            return self._answer(call, {"ok": False, "error": error})
        result = handler(args, token)
        if asyncio.iscoroutine(result):
            result = await result
        extra_headers = {}
        if method == "auth.test":
            extra_headers["x-oauth-scopes"] = "commands,chat:write,files:write,users:read"
        return self._answer(call, result, headers=extra_headers)

    def _answer(
        self, call: Call, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> web.StreamResponse:
        call.response = body
        return web.json_response(body, headers=headers)

    def _answer_script(self, call: Call, script: _Script) -> web.StreamResponse:
        call.status = script.status
        if script.status == 429:
            body = {"ok": False, "error": "ratelimited"}
            call.response = body
            return web.json_response(
                body, status=429, headers={"Retry-After": str(script.retry_after or 1)}
            )
        if script.status >= 500:
            call.response = {"ok": False, "error": f"http_{script.status}"}
            return web.Response(status=script.status, text="upstream error")
        body = {"ok": False, "error": script.error}
        call.response = body
        return web.json_response(body, status=script.status)

    # ------------------------------------------------------------------ methods
    def _auth_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "align-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def _message_problems(self, args: dict[str, Any], *, need_text: bool = True) -> dict | None:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        blocks = args.get("blocks")
        if need_text and not args.get("text") and not blocks and not args.get("attachments"):
            return {"ok": False, "error": "no_text"}
        if blocks is not None:
            problems = block_problems(blocks)
            if problems:
                return {
                    "ok": False,
                    "error": "invalid_blocks",
                    "errors": problems,
                    "response_metadata": {"messages": problems},
                }
        return None

    def _post_message(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._message_problems(args)
        if problem:
            return problem
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages[(args["channel"], ts)] = message
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _update(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._message_problems(args, need_text=False)
        if problem:
            return problem
        key = (args["channel"], str(args.get("ts", "")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        message = self.messages[key]
        if "text" in args:
            message["text"] = args["text"]
        if "blocks" in args:
            message["blocks"] = args["blocks"] or []
        return {
            "ok": True,
            "channel": key[0],
            "ts": key[1],
            "text": message["text"],
            "message": message,
        }

    def _permalink(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        key = (str(args.get("channel") or ""), str(args.get("message_ts") or ""))
        if not key[0]:
            return {"ok": False, "error": "channel_not_found"}
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://acme.slack.com/archives/{key[0]}/p{key[1].replace('.', '')}"
        return {"ok": True, "channel": key[0], "permalink": link}

    def _post_ephemeral(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._message_problems(args)
        if problem:
            return problem
        user = args.get("user")
        if not user:
            return {"ok": False, "error": "user_not_found"}
        members = self.channel_members.get(args["channel"])
        if members is not None and user not in members:
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _invalid_view(self, view: Any) -> dict[str, Any] | None:
        problems = view_problems(view)
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        return None

    def _store_view(self, view: dict[str, Any], *, root: str | None = None) -> dict[str, Any]:
        view_id = f"V{next(self._ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": "A0ALIGNBOT",
            "bot_id": self.bot_id,
            "root_view_id": root or view_id,
            "hash": f"{time.time():.6f}.{uuid.uuid4().hex[:8]}",
            "state": {"values": {}},
        }
        self.views[view_id] = stored
        return stored

    def _take_trigger(self, args: dict[str, Any]) -> dict[str, Any] | None:
        trigger = args.get("trigger_id")
        if not trigger:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] missing required field: trigger_id"]},
            }
        if trigger in self._used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        self._used_triggers.add(trigger)
        return None

    def _views_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._take_trigger(args) or self._invalid_view(args.get("view"))
        if problem:
            return problem
        return {"ok": True, "view": self._store_view(args["view"])}

    def _views_push(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._take_trigger(args) or self._invalid_view(args.get("view"))
        if problem:
            return problem
        stack = sum(1 for v in self.views.values() if v.get("_pushed"))
        if stack >= 2:
            return {"ok": False, "error": "push_limit_reached"}
        stored = self._store_view(args["view"])
        stored["_pushed"] = True
        return {"ok": True, "view": stored}

    def _views_update(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        view_id = args.get("view_id")
        external = args.get("external_id")
        if not view_id and not external:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] view_id or external_id required"]},
            }
        problem = self._invalid_view(args.get("view"))
        if problem:
            return problem
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        old = self.views[view_id]
        new = {**old, **args["view"], "id": view_id}
        self.views[view_id] = new
        return {"ok": True, "view": new}

    def _users_info(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        user = args.get("user")
        if not user:
            return {"ok": False, "error": "user_not_found"}
        if user in self.users:
            return {"ok": True, "user": self.users[user]}
        if not _USER_ID.match(user):
            return {"ok": False, "error": "user_not_found"}
        name = user.lower()
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": self.team_id,
                "name": name,
                "deleted": False,
                "is_bot": False,
                "real_name": name.title(),
                "profile": {"display_name": name, "real_name": name.title()},
            },
        }

    def _usergroup_users(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        group = args.get("usergroup")
        if not group:
            return {"ok": False, "error": "invalid_arguments"}
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _conversation_members(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel or channel not in self.channel_members:
            return {"ok": False, "error": "channel_not_found"}
        members = self.channel_members[channel]
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = members[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _get_upload_url(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, ""):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self._pending_files[file_id] = {"filename": filename, "length": int(length)}
        return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    async def _raw_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        data = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(
            method="upload",
            args={"file_id": file_id, "size": len(data)},
            headers=headers,
            path=request.path,
        )
        self.calls.append(call)
        if file_id not in self._pending_files:
            call.status = 404
            return web.Response(status=404, text="file not found")
        self.uploads[file_id] = data
        call.response = {"ok": True}
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            pending = self._pending_files.get(file_id or "")
            if pending is None or file_id not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            if len(self.uploads[file_id]) != pending["length"]:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            done.append(
                {
                    "id": file_id,
                    "name": pending["filename"],
                    "title": item.get("title") or pending["filename"],
                    "size": pending["length"],
                }
            )
        return {"ok": True, "files": done}

    def uploaded_file(self, file_id: str) -> bytes:
        return self.uploads[file_id]

    # ------------------------------------------------------------------ response_url
    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(
            method="response_url",
            args=body if isinstance(body, dict) else {},
            headers=headers,
            path=request.path,
        )
        self.calls.append(call)
        uses = self._response_url_uses.get(key, 0) + 1
        self._response_url_uses[key] = uses
        if not isinstance(body, dict):
            call.status = 400
            return web.Response(status=400, text="invalid_payload")
        if uses > 5:
            call.status = 404
            return web.Response(status=404, text="used_url")
        if "blocks" in body and block_problems(body["blocks"]):
            call.status = 400
            return web.Response(status=400, text="invalid_blocks")
        if not body.get("text") and not body.get("blocks") and not body.get("delete_original"):
            call.status = 400
            return web.Response(status=400, text="no_text")
        call.response = {"ok": True}
        return web.Response(text="ok")

    # ------------------------------------------------------------------ socket mode
    def _connections_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket/{next(self._ids)}"}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        sock = _Socket(ws)
        self._sockets.append(sock)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "A0ALIGNBOT"},
                "debug_info": {"host": "emulator"},
            }
        )
        self._connected.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            future = sock.acks.pop(str(data.get("envelope_id")), None)
            if future is not None and not future.done():
                future.set_result(data)
        self._sockets.remove(sock)
        return ws

    async def wait_connected(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def push_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        timeout: float = 5.0,
        retry_attempt: int = 0,
        envelope_id: str | None = None,
    ) -> dict[str, Any]:
        """Send a Socket Mode envelope (``slash_commands``, ``interactive``, ``events_api``) to
        the connected bot and return its ack (``{"envelope_id", "payload"?}``). Passing an
        earlier ``envelope_id`` delivers that envelope again."""
        await self.wait_connected(timeout)
        sock = self._sockets[-1]
        envelope_id = envelope_id or uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        sock.acks[envelope_id] = future
        await sock.ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        async with asyncio.timeout(timeout):
            return await future

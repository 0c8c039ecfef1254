"""The shape a request to ``/slack/events`` must have before bolt sees it (pure).

Bolt parses the body and builds its context (user, team, enterprise, channel ids) by indexing
into it without checking types, before any middleware of ours runs: ``payload=[1,2]`` or an
``event`` that is a list made it raise, and the endpoint answered 500 with a traceback. This
module parses the body the way bolt does and names what is wrong with its shape, so the HTTP
layer can answer 400 with a log line instead. It judges only the envelope bolt relies on; what a
listener needs from a well-formed envelope is checked by the listeners and
``handlers/middleware.py``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["FORM", "JSON", "shape_problem"]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Top-level fields bolt's context extractors index into: an object, an id string, or nothing.
_OBJECT_OR_ID = ("user", "team", "channel", "enterprise", "container")


def _parse(body: str, content_type: str) -> Any:
    """The body as bolt would see it (``slack_bolt.request.internals.parse_body``)."""
    if content_type == JSON or body.startswith("{"):
        return json.loads(body)
    params = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in params:
        return json.loads(params["payload"])
    return params


def _event_problem(body: dict[str, Any]) -> str | None:
    if "event" in body and not isinstance(body["event"], dict):
        return "`event` is not an object"
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return "an event callback without an `event` object"
    auths = body.get("authorizations")
    if auths is not None and not (
        isinstance(auths, list) and all(isinstance(a, dict) for a in auths)
    ):
        return "`authorizations` is not a list of objects"
    return None


def shape_problem(body: str, content_type: str | None) -> str | None:
    """What makes ``body`` unfit to dispatch (a short phrase for the log), or ``None``."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in (FORM, JSON, ""):
        return f"content type {media!r} is neither form-encoded nor JSON"
    if not body.strip():
        return "empty body"
    try:
        parsed = _parse(body, media)
    except ValueError:
        return "body or `payload` is not JSON"
    if not isinstance(parsed, dict):
        return f"body or `payload` is a JSON {type(parsed).__name__}, not an object"
    if "ssl_check" in parsed:  # Slack's certificate probe of a slash-command URL: bolt answers
        return None
    if "command" in parsed:
        if not all(isinstance(parsed.get(k), str) for k in ("command", "user_id")):
            return "a slash command without `command` and `user_id`"
        return None
    kind = parsed.get("type")
    if not isinstance(kind, str) or not kind:
        return "neither a slash command nor a payload with a `type`"
    for key in _OBJECT_OR_ID:
        value = parsed.get(key)
        if value is not None and not isinstance(value, dict | str):
            return f"`{key}` is neither an object nor an id"
    return _event_problem(parsed)

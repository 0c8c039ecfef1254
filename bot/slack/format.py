"""Small pure Block Kit pieces shared by the run message, the review card and the modals.

Every piece clips its text to the limit Slack enforces for that field, so builders can feed them
anything (a 40 kB error, a 5,000-statement diff) and still produce a valid message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.blocks import mention

__all__ = [
    "SECTION_LIMIT",
    "button",
    "clip",
    "context",
    "mention",
    "plain",
    "section",
    "slack_date",
]

SECTION_LIMIT = 3000


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def section(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def slack_date(when: datetime) -> str:
    """A date Slack renders in the reader's time zone (with a UTC fallback)."""
    fallback = f"{when:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """A button whose value is a run id; ``confirm`` is (title, text, confirm label)."""
    el: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text),
        "value": value,
    }
    if style:
        el["style"] = style
    if confirm:
        title, body, ok = confirm
        el["confirm"] = {
            "title": plain(title, 100),
            "text": plain(body, 300),
            "confirm": plain(ok, 30),
            "deny": plain("Cancel", 30),
        }
    return el

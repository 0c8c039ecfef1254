"""Block Kit limits as Slack enforces them, for the emulator (returns problems, never raises).

Problems read like Slack's ``response_metadata.messages``:
``[ERROR] must be at most 3000 characters [json-pointer:/blocks/0/text/text]``.
"""

from __future__ import annotations

from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100

_BLOCK_TYPES = {
    "section",
    "header",
    "context",
    "divider",
    "actions",
    "input",
    "rich_text",
    "image",
    "markdown",
    "file",
    "video",
}
_INTERACTIVE = {
    "button",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "overflow",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "checkboxes",
    "radio_buttons",
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "rich_text_input",
    "image",
    "workflow_button",
}


class _Check:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, what: str, pointer: str) -> None:
        self.problems.append(f"[ERROR] {what} [json-pointer:{pointer}]")

    def length(self, value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(f"must be at most {limit} characters", pointer)

    def text(
        self, obj: Any, pointer: str, *, limit: int, plain_only: bool = False, required=True
    ) -> None:
        if obj is None:
            if required:
                self.add("missing required field: text", pointer)
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.add("must be a text object (plain_text or mrkdwn)", pointer)
            return
        if plain_only and obj["type"] != "plain_text":
            self.add("must be a plain_text object", pointer + "/type")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.add("must be a non-empty string", pointer + "/text")
            return
        self.length(value, limit, pointer + "/text")

    def ident(self, obj: dict[str, Any], key: str, pointer: str) -> None:
        if key in obj:
            if not isinstance(obj[key], str) or not obj[key]:
                self.add(f"{key} must be a non-empty string", f"{pointer}/{key}")
            else:
                self.length(obj[key], 255, f"{pointer}/{key}")

    def confirm(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            self.add("must be a confirmation object", pointer)
            return
        self.text(obj.get("title"), pointer + "/title", limit=100, plain_only=True)
        self.text(obj.get("text"), pointer + "/text", limit=300)
        self.text(obj.get("confirm"), pointer + "/confirm", limit=30, plain_only=True)
        self.text(obj.get("deny"), pointer + "/deny", limit=30, plain_only=True)

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict) or el.get("type") not in _INTERACTIVE:
            self.add("unsupported element type", pointer + "/type")
            return
        self.ident(el, "action_id", pointer)
        if el["type"] == "button":
            self.text(el.get("text"), pointer + "/text", limit=75, plain_only=True)
            self.length(el.get("value"), 2000, pointer + "/value")
            self.length(el.get("url"), 3000, pointer + "/url")
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.add("style must be primary or danger", pointer + "/style")
        if "confirm" in el:
            self.confirm(el["confirm"], pointer + "/confirm")
        if "placeholder" in el:
            self.text(el["placeholder"], pointer + "/placeholder", limit=150, plain_only=True)

    def block(self, block: Any, pointer: str, *, surface: str) -> None:
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            self.add("unsupported block type", pointer + "/type")
            return
        self.ident(block, "block_id", pointer)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.add("section needs text or fields", pointer)
            if "text" in block:
                self.text(block["text"], pointer + "/text", limit=3000)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                    self.add("fields must hold 1 to 10 items", pointer + "/fields")
                else:
                    for i, f in enumerate(fields):
                        self.text(f, f"{pointer}/fields/{i}", limit=2000)
            if "accessory" in block:
                self.element(block["accessory"], pointer + "/accessory")
        elif kind == "header":
            self.text(block.get("text"), pointer + "/text", limit=150, plain_only=True)
        elif kind == "context":
            els = block.get("elements")
            if not isinstance(els, list) or not 1 <= len(els) <= 10:
                self.add("context must hold 1 to 10 elements", pointer + "/elements")
            else:
                for i, el in enumerate(els):
                    if isinstance(el, dict) and el.get("type") == "image":
                        continue
                    self.text(el, f"{pointer}/elements/{i}", limit=3000)
        elif kind == "actions":
            els = block.get("elements")
            if not isinstance(els, list) or not 1 <= len(els) <= 25:
                self.add("actions must hold 1 to 25 elements", pointer + "/elements")
            else:
                seen: set[str] = set()
                for i, el in enumerate(els):
                    self.element(el, f"{pointer}/elements/{i}")
                    aid = el.get("action_id") if isinstance(el, dict) else None
                    if aid in seen:
                        self.add("action_id must be unique in its block", f"{pointer}/elements/{i}")
                    if aid:
                        seen.add(aid)
        elif kind == "input":
            self.text(block.get("label"), pointer + "/label", limit=2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], pointer + "/hint", limit=2000, plain_only=True)
            if "element" not in block:
                self.add("missing required field: element", pointer)
            else:
                self.element(block["element"], pointer + "/element")
        elif kind == "markdown":
            self.length(block.get("text"), 12000, pointer + "/text")
        elif kind == "rich_text" and not isinstance(block.get("elements"), list):
            self.add("rich_text needs elements", pointer + "/elements")


def block_problems(blocks: Any, *, surface: str = "message", pointer: str = "/blocks") -> list[str]:
    """Problems with ``blocks`` for a message (≤50) or a view (``surface="modal"``, ≤100)."""
    check = _Check()
    if not isinstance(blocks, list):
        check.add("must be an array", pointer)
        return check.problems
    limit = MESSAGE_MAX_BLOCKS if surface == "message" else VIEW_MAX_BLOCKS
    if len(blocks) > limit:
        check.add(f"no more than {limit} items allowed", pointer)
    for i, block in enumerate(blocks):
        check.block(block, f"{pointer}/{i}", surface=surface)
    return check.problems


def view_problems(view: Any) -> list[str]:
    """Problems with a modal (or home) view object."""
    check = _Check()
    if not isinstance(view, dict):
        check.add("must be a view object", "/view")
        return check.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.add("type must be modal or home", "/view/type")
    if kind == "modal":
        check.text(view.get("title"), "/view/title", limit=24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                check.text(view[key], f"/view/{key}", limit=24, plain_only=True)
        blocks = view.get("blocks") or []
        if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks) and (
            "submit" not in view
        ):
            check.add("a modal with input blocks needs submit", "/view/submit")
    check.length(view.get("private_metadata"), 3000, "/view/private_metadata")
    check.ident(view, "callback_id", "/view")
    check.ident(view, "external_id", "/view")
    problems = check.problems
    problems += block_problems(view.get("blocks", []), surface="modal", pointer="/view/blocks")
    return problems

"""A whole bot for workflow tests: real prod/dev/state databases, the config, the real HTTP
endpoint, the emulator and the signed driver, plus helpers that wait on conditions."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from bot.app import AppBundle, build_app
from bot.config import load_settings
from bot.slack import ids
from bot.store import Run, Store
from bot.workflow.run import RunState
from handlers.actions import split_plan_ref
from tests.slackkit import SlackDriver, SlackEmulator
from tests.slackkit.emulator import Call
from tests.slackkit.fixtures import BOT_TOKEN, SIGNING_SECRET

REVIEW_ACTIONS = (ids.ACTION_APPROVE, ids.ACTION_REJECT, ids.ACTION_DEFER)
DECISION_VIEWS = (ids.VIEW_APPROVE_DESTRUCTIVE, ids.VIEW_REJECT, ids.VIEW_DEFER)

ALICE, BOB, CAROL, MALLORY, ONCALL = (
    "U0ALICE01",
    "U0BOB0002",
    "U0CAROL03",
    "U0MALLORY9",
    "U0ONCALL1",
)
CHANNEL = "C0OPS0001"

PROD = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text);
INSERT INTO users SELECT g, 'u' || g || '@x', 'n' || g FROM generate_series(1, 20) g;
"""
SAFE_DEV = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text,
                    verified boolean NOT NULL DEFAULT false);
CREATE INDEX users_email_idx ON users (email);
"""
DESTRUCTIVE_DEV = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);"
FAILING_DEV = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text,
                    tenant point NOT NULL);  -- point: no fill value, fails on rows
"""

CONFIG = """
[bot]
channel = "{channel}"
oncall = ["{oncall}"]

[access]
reviewers = ["{bob}", "{carol}", "S0REVIEWS1"]
requesters = ["{alice}", "{bob}", "{carol}"]
second_approver_for_destructive = {second}

[targets.prod]
database_url = "${{PROD_DATABASE_URL}}"
desired_url = "${{DEV_DATABASE_URL}}"
snapshot = "{snapshot}"
rehearsal = "off"
{extra}
"""


@dataclass
class Flow:
    bundle: AppBundle
    slack: SlackEmulator
    driver: SlackDriver
    store: Store
    prod: str
    dev: str

    async def wait_run(
        self, predicate: Callable[[Run], bool], run_id: str | None = None, timeout: float = 20
    ) -> Run:
        deadline = time.monotonic() + timeout
        while True:
            runs = [await self.store.get_run(run_id)] if run_id else await self.store.list_runs()
            for run in runs:
                if run is not None and predicate(run):
                    return run
            if time.monotonic() > deadline:
                shown = [(r.id, r.state.value, r.error) for r in runs if r]
                raise TimeoutError(f"no run matched within {timeout}s: {shown}")
            await asyncio.sleep(0.05)

    async def wait_state(self, run_id: str, *states: RunState, timeout: float = 20) -> Run:
        return await self.wait_run(lambda r: r.state in states, run_id, timeout=timeout)

    async def settle(self, timeout: float = 20) -> None:
        """Everything owed to Slack delivered and no background work left."""
        assert self.bundle.deps.messenger is not None
        await self.bundle.deps.supervisor.wait_idle(timeout)
        await self.bundle.deps.messenger.wait_idle(timeout)

    async def start_review(self, user: str = ALICE) -> Run:
        resp = await self.driver.command("start prod", user=user)
        assert resp.status == 200
        run = await self.wait_run(lambda r: r.state is RunState.AWAITING_REVIEW)
        await self.slack.wait_for("chat.postMessage", lambda c: _is_card(c), timeout=10)
        return run

    def card(self, run_id: str) -> dict[str, Any]:
        """The latest review card of ``run_id`` as the emulator holds it now."""
        cards = [m for m in self.slack.messages.values() if _card_of(m) == run_id]
        assert cards, "no review card posted"
        return cards[-1]

    async def run_message(self, run_id: str) -> dict[str, Any]:
        run = await self.store.get_run(run_id)
        assert run is not None and run.message_ts, "no run message"
        return self.slack.messages[(run.channel, run.message_ts)]

    async def click(self, action_id: str, run_id: str, *, user: str = BOB, **kw: Any) -> Any:
        """Click a button of ``run_id`` as a user would: a review button carries what the latest
        card shows (its plan id); pass ``value=`` to click something else (a stale card)."""
        value = kw.pop("value", None)
        if value is None and action_id in REVIEW_ACTIONS:
            value = self.card_value(run_id, action_id) or await self.plan_ref(run_id)
        return await self.driver.block_action(action_id, value=value or run_id, user=user, **kw)

    async def submit(
        self,
        callback_id: str,
        run_id: str,
        values: dict[str, Any],
        *,
        user: str = BOB,
        metadata: str | None = None,
    ) -> Any:
        """Submit a modal; a decision modal carries the plan id the bot opened it with."""
        if metadata is None and callback_id in DECISION_VIEWS:
            metadata = self.opened_metadata(callback_id, run_id) or await self.plan_ref(run_id)
        return await self.driver.view_submission(
            callback_id, values=values, private_metadata=metadata or run_id, user=user
        )

    async def plan_ref(self, run_id: str) -> str | None:
        run = await self.store.get_run(run_id)
        return run.plan_id if run else None

    def card_value(self, run_id: str, action_id: str) -> str | None:
        """The ``value`` of a button on the latest review card of ``run_id``."""
        cards = [m for m in self.slack.messages.values() if _card_of(m) == run_id]
        for block in (cards[-1].get("blocks") or []) if cards else []:
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return element.get("value")
        return None

    def opened_metadata(self, callback_id: str, run_id: str) -> str | None:
        """``private_metadata`` of the last modal the bot opened for ``run_id``."""
        for call in reversed(self.slack.calls):
            view = call.args.get("view") if call.method == "views.open" else None
            if isinstance(view, str):
                view = json.loads(view)
            if isinstance(view, dict) and view.get("callback_id") == callback_id:
                meta = str(view.get("private_metadata") or "")
                if meta == run_id or meta.startswith(f"{run_id}.p"):
                    return meta
        return None

    async def prod_execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.prod)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def ephemerals(self) -> list[str]:
        """Texts of ephemeral replies (response_url posts and chat.postEphemeral)."""
        out = []
        for call in self.slack.calls:
            if call.method in ("response_url", "chat.postEphemeral"):
                out.append(str(call.args.get("text", "")) + "\n" + block_text(call.args))
        return out


def _card_of(message: dict[str, Any]) -> str | None:
    """The run id of a review card (its header reads ``Review: align TARGET (plan PLAN_ID)``)."""
    blocks = message.get("blocks") or []
    if not blocks or blocks[0].get("type") != "header":
        return None
    header = blocks[0]["text"]["text"]
    if not header.startswith("Review:"):
        return None
    ref = header.rsplit("(", 1)[-1].rstrip(")").split()[-1]
    run_id, _plan = split_plan_ref(ref)
    return run_id


def _is_card(call: Call) -> bool:
    return any(b.get("block_id") == ids.BLOCK_CARD_ACTIONS for b in call.args.get("blocks") or [])


def block_text(message: dict[str, Any]) -> str:
    parts = []
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for el in block.get("elements") or []:
            if isinstance(el, dict):
                t = el.get("text")
                parts.append(t.get("text", "") if isinstance(t, dict) else str(t or ""))
    return "\n".join(parts)


def reason(text: str) -> dict[str, Any]:
    block, action = ids.INPUT_REASON
    return {block: {action: {"type": "plain_text_input", "value": text}}}


MakeFlow = Callable[..., Awaitable[Flow]]


@pytest.fixture
async def make_flow(
    make_db: Callable[..., Awaitable[str]], tmp_path: Path
) -> AsyncIterator[MakeFlow]:
    stack: list[Callable[[], Awaitable[None]]] = []

    async def make(
        *,
        dev: str = SAFE_DEV,
        snapshot: str = "none",
        second_approver: bool = False,
        usergroups: dict[str, list[str]] | None = None,
    ) -> Flow:
        prod, dev_url, state = await make_db(PROD), await make_db(dev), await make_db()
        slack = SlackEmulator(bot_token=BOT_TOKEN, usergroups=usergroups or {"S0REVIEWS1": []})
        await slack.start()
        stack.append(slack.stop)
        extra = f'pg_dump_dir = "{tmp_path / "dumps"}"' if snapshot == "pg_dump" else ""
        config = tmp_path / "align.toml"
        config.write_text(
            CONFIG.format(
                channel=CHANNEL,
                oncall=ONCALL,
                bob=BOB,
                carol=CAROL,
                alice=ALICE,
                second=str(second_approver).lower(),
                snapshot=snapshot,
                extra=extra,
            )
        )
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "PROD_DATABASE_URL": prod,
            "DEV_DATABASE_URL": dev_url,
            "ALIGN_DATA_DIR": str(tmp_path / "data"),
        }
        settings = load_settings(config, environ)
        store = await Store.open(state, max_size=5)
        stack.append(store.close)
        bundle = build_app(settings, store)
        bundle.deps.messenger.min_interval_s = 0.2  # type: ignore[union-attr]
        runner = web.AppRunner(bundle.web, access_log=None, shutdown_timeout=2)
        await runner.setup()
        stack.append(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        driver = SlackDriver(url, signing_secret=SIGNING_SECRET, emulator=slack)
        return Flow(bundle, slack, driver, store, prod, dev_url)

    yield make
    for close in reversed(stack):
        await close()

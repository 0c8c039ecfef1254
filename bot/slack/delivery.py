"""What each owed outbox item does in Slack (the effects behind :class:`~bot.store.outbox.Owed`).

Every effect reads the run from the store when it is delivered, not when it was owed: a re-render
queued during an outage shows the run as it is when Slack answers again, and an effect whose
purpose is gone (the card of a superseded plan) does nothing. Effects that create something in
Slack first check the marker they leave on the run (``message_ts``, ``data.slack``), so an item
delivered a second time after a crash between Slack's answer and ``outbox_done`` changes nothing
where such a marker exists. Each returns what Slack answered (stored as the row's result).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import NotifyError
from bot.report import labels_for, load_report, render_markdown
from bot.slack.blocks import MAX_BLOCKS, Message, escape
from bot.slack.format import clip, context, mention, section
from bot.slack.notifier import Notifier
from bot.slack.review_card import review_card
from bot.slack.run_message import RunView, run_message
from bot.store import Run, Store
from bot.store.outbox import OutboxItem, Owed
from bot.workflow.run import RunState

log = logging.getLogger(__name__)

__all__ = ["OWED_WORDS", "SlackEffects", "run_message_link"]

Result = dict[str, Any] | None

# How an owed item is named where people read about it (the run message, logs, the audit).
OWED_WORDS = {
    Owed.RUN_MESSAGE: "run message",
    Owed.RENDER: "run message update",
    Owed.CARD: "review card",
    Owed.CARD_UPDATE: "review card update",
    Owed.SQL_UPLOAD: "SQL upload",
    Owed.FAILURE: "failure notice",
    Owed.REPORT: "report upload",
    Owed.NOTE: "thread note",
}


def run_message_link(run: Run) -> str | None:
    """The permalink of the run's channel message (where its review card and recovery buttons
    are), or None while that message has not reached Slack. A bare https URL: Slack makes it
    clickable even in text that was escaped."""
    link = (run.data.get("slack") or {}).get("permalink")
    return str(link) if link else None


class SlackEffects:
    """``await effects.deliver(item)``; NotifyError propagates (the caller decides to retry)."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        notifier: Notifier,
        progress: Callable[[str], tuple[int, int] | None],
    ) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self._progress = progress
        self._effects = {
            Owed.RUN_MESSAGE: self._post_run_message,
            Owed.RENDER: self._render,
            Owed.CARD: self._post_card,
            Owed.CARD_UPDATE: self._update_card,
            Owed.SQL_UPLOAD: self._upload_sql,
            Owed.FAILURE: self._post_failure,
            Owed.REPORT: self._upload_report,
            Owed.NOTE: self._post_note,
        }

    async def deliver(self, item: OutboxItem) -> Result:
        run = await self.store.get_run(item.run_id)
        if run is None:
            return None
        return await self._effects[item.kind](run, item.payload)

    # ------------------------------------------------------------------ the run message
    def _channel(self, run: Run) -> str | None:
        return run.channel or self.settings.channel

    async def _message(self, run: Run) -> Message:
        view = RunView(
            run=run,
            steps=await self.store.steps(run.id),
            decisions=await self.store.decisions(run.id),
            recoveries=await self.store.recovery_actions(run.id),
            progress=self._progress(run.id),
            oncall=self.settings.oncall,
        )
        message = run_message(view)
        failed = await self.store.outbox_items(run.id, state="failed")
        if failed and len(message.blocks) < MAX_BLOCKS:
            shown = ", ".join(
                f"{OWED_WORDS[i.kind]} ({escape(clip(i.error or '?', 80))})" for i in failed[-5:]
            )
            message.blocks.append(context(f":warning: Slack refused: {shown}."))
        return message

    async def _post_run_message(self, run: Run, _payload: dict[str, Any]) -> Result:
        if run.message_ts:
            return {"ts": run.message_ts, "already": True}
        channel = self._channel(run)
        if channel is None:
            log.info("run %s: no channel configured; not posting to Slack", run.id)
            return None
        ts = await self.notifier.post_message(channel, await self._message(run))
        await self.store.update_run(run.id, message_ts=ts, channel=channel)
        result: dict[str, Any] = {"ts": ts}
        try:  # a link for replies that point at this run ("busy: see the run")
            link = await self.notifier.permalink(channel, ts)
        except NotifyError as exc:
            log.warning("no permalink for run %s: %s", run.id, exc.message)
        else:
            await self.store.update_run(run.id, data={"slack": {**_slack(run), "permalink": link}})
            result["permalink"] = link
        return result

    async def _render(self, run: Run, _payload: dict[str, Any]) -> Result:
        if not run.message_ts or not run.channel:
            return None
        await self.notifier.update_message(run.channel, run.message_ts, await self._message(run))
        return None

    async def _thread_post(self, run: Run, message: Message) -> str | None:
        channel = self._channel(run)
        if channel is None:
            return None
        return await self.notifier.post_message(channel, message, thread_ts=run.message_ts)

    async def _post_note(self, run: Run, payload: dict[str, Any]) -> Result:
        message = Message(
            text=str(payload.get("text") or ""), blocks=list(payload.get("blocks") or [])
        )
        ts = await self._thread_post(run, message)
        return {"ts": ts} if ts else None

    # ------------------------------------------------------------------ the review card
    async def _plan_decisions(self, run: Run) -> list[Any]:
        """Decisions on the run's current plan (a card shows only its own plan's)."""
        return [d for d in await self.store.decisions(run.id) if d.plan_id == run.plan_id]

    async def _post_card(self, run: Run, payload: dict[str, Any]) -> Result:
        if run.state is not RunState.AWAITING_REVIEW or payload.get("plan_id") != run.plan_id:
            return None  # the run moved on before Slack answered: this card is not wanted now
        slack = _slack(run)
        if slack.get("card_ts") and not slack.get("card_closed"):
            if slack.get("card_plan") == run.plan_id:
                return {"ts": slack["card_ts"], "already": True}
            await self._close_card(run, slack, superseded=True)
        ts = await self._thread_post(
            run, review_card(run, decisions=await self._plan_decisions(run))
        )
        if ts is None:
            return None
        slack.update(card_ts=ts, card_plan=run.plan_id, card_closed=False)
        await self.store.update_run(run.id, data={"slack": slack})
        return {"ts": ts}

    async def _close_card(self, run: Run, slack: dict[str, Any], *, superseded: bool) -> None:
        decisions = await self._plan_decisions(run)
        await self.notifier.update_message(
            str(run.channel),
            str(slack["card_ts"]),
            review_card(run, decisions=decisions, closed=True, superseded=superseded),
        )

    async def _update_card(self, run: Run, _payload: dict[str, Any]) -> Result:
        slack = _slack(run)
        if not run.channel or not slack.get("card_ts") or slack.get("card_closed"):
            return None
        if run.state is RunState.AWAITING_REVIEW and slack.get("card_plan") == run.plan_id:
            decisions = await self._plan_decisions(run)  # e.g. first of two approvals
            await self.notifier.update_message(
                run.channel, str(slack["card_ts"]), review_card(run, decisions=decisions)
            )
            return None
        superseded = slack.get("card_plan") != run.plan_id or run.state is RunState.DIFF
        await self._close_card(run, slack, superseded=superseded)
        slack["card_closed"] = True
        await self.store.update_run(run.id, data={"slack": slack})
        return None

    async def _upload_sql(self, run: Run, payload: dict[str, Any]) -> Result:
        slack = _slack(run)
        plan = payload.get("plan_id")
        if not run.sql_text or not self._channel(run) or plan != run.plan_id:
            return None
        if slack.get("sql_plan") == plan:
            return {"file_id": slack.get("sql_file"), "already": True}
        lines = len(run.sql_text.splitlines())
        file_id = await self.notifier.upload_file(
            str(self._channel(run)),
            filename=f"align-{run.id}.sql",
            content=run.sql_text,
            title=f"align {run.target} {run.id}.sql",
            initial_comment=f"Full SQL under review: {lines:,} lines, sha256 `{run.sql_sha256}`",
            thread_ts=run.message_ts,
        )
        await self.store.update_run(
            run.id, data={"slack": {**slack, "sql_plan": plan, "sql_file": file_id}}
        )
        return {"file_id": file_id}

    # ------------------------------------------------------------------ the end of a run
    async def _upload_report(self, run: Run, payload: dict[str, Any]) -> Result:
        if not self._channel(run) or not payload.get("path"):
            return None
        content = await asyncio.to_thread(_read_bytes, Path(str(payload["path"])))
        if content is None:  # written on another replica's disk, or gone: render it again
            log.info("report file of run %s is not here; rendering it from the store", run.id)
            content = await self._render_report(run)
        file_id = await self.notifier.upload_file(
            str(self._channel(run)),
            filename=f"align-report-{run.id}.md",
            content=content,
            title=f"Alignment report {run.id}",
            initial_comment=f"Alignment report for run `{escape(run.id)}` ({run.state.value})",
            thread_ts=run.message_ts,
        )
        return {"file_id": file_id}

    async def _render_report(self, run: Run) -> bytes:
        masker = self.settings.masker()
        target = self.settings.targets.get(run.target)
        report = await load_report(self.store, run.id, masker=masker, labels=labels_for(target))
        return render_markdown(report, masker=masker).encode()

    async def _post_failure(self, run: Run, _payload: dict[str, Any]) -> Result:
        failed = [s for s in await self.store.steps(run.id) if s.status == "failed"]
        who = " ".join(mention(p) for p in self.settings.oncall) or "On-call"
        what = (
            f"failed at step *{escape(failed[-1].name)}*"
            if failed
            else f"is {escape(run.state.value)}"
        )
        error = run.error or (run.data.get("notes") or ["no error recorded"])[-1]
        blocks = [
            section(
                f"{who}: run `{escape(run.id)}` on `{escape(run.target)}` {what}.\n"
                f"```{escape(clip(error, 1500))}```"
            )
        ]
        tail = failed[-1].output_tail if failed else None
        if tail and tail.strip() != (run.error or "").strip():
            blocks.append(
                section(f"Output (last lines):\n```{escape(clip(tail[-2500:], 2600))}```")
            )
        text = clip(f"{who}: run {run.id} on {run.target} {what}", 300)
        ts = await self._thread_post(run, Message(text=text, blocks=blocks))
        return {"ts": ts} if ts else None


def _slack(run: Run) -> dict[str, Any]:
    return dict(run.data.get("slack") or {})


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None

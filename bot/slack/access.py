"""Who may do what, decided server-side from settings and Slack user groups (never the payload).

Policy entries are user ids (U…/W…) or user-group ids (S…). Group members come from
``usergroups.users.list`` and are cached briefly (a removed reviewer loses access within
``ttl_s``). When Slack cannot say who is in a group the answer is "no" (fail closed), and the
refusal says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.errors import NotifyError
from bot.slack.notifier import Notifier

log = logging.getLogger(__name__)

__all__ = ["Access", "Verdict"]

GROUP_TTL_S = 60.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # the rule that refused, written for the user


class Access:
    def __init__(self, settings: Settings, notifier: Notifier, *, ttl_s: float = GROUP_TTL_S):
        self.settings = settings
        self._notifier = notifier
        self._ttl = ttl_s
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _members(self, group: str) -> frozenset[str] | None:
        cached = self._groups.get(group)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        lock = self._locks.setdefault(group, asyncio.Lock())
        async with lock:
            cached = self._groups.get(group)
            if cached and time.monotonic() - cached[0] < self._ttl:
                return cached[1]
            try:
                members = frozenset(await self._notifier.usergroup_members(group))
            except NotifyError as exc:
                log.warning("user group %s could not be resolved: %s", group, exc.message)
                return None
            self._groups[group] = (time.monotonic(), members)
            return members

    async def _in(self, user: str, principals: Sequence[str]) -> tuple[bool, bool]:
        """(member?, some group could not be resolved?)"""
        if user in principals:
            return True, False
        unresolved = False
        for group in (p for p in principals if p.startswith("S")):
            members = await self._members(group)
            if members is None:
                unresolved = True
            elif user in members:
                return True, False
        return False, unresolved

    async def reviewer(self, user: str) -> Verdict:
        reviewers = self.settings.policy.reviewers
        if not reviewers:
            return Verdict(False, "no reviewers are configured (access.reviewers is empty)")
        ok, unresolved = await self._in(user, reviewers)
        if ok:
            return Verdict(True)
        why = "you are not a reviewer (access.reviewers)"
        if unresolved:
            why += "; a reviewer user group could not be resolved with Slack just now"
        return Verdict(False, why)

    async def requester(self, user: str) -> Verdict:
        requesters = self.settings.policy.requesters
        if not requesters:
            return Verdict(True)
        ok, unresolved = await self._in(user, requesters)
        if ok:
            return Verdict(True)
        why = "you may not request runs (not in access.requesters)"
        if unresolved:
            why += "; a requester user group could not be resolved with Slack just now"
        return Verdict(False, why)

    async def reader(self, user: str) -> Verdict:
        """The read subcommands (status, history, report, verify). Empty ``access.readers``:
        anyone in the installed workspace (foreign workspaces never get this far). Otherwise the
        readers, plus everyone who already acts on runs (reviewers, named requesters, on-call):
        refusing a reviewer the status of the run they are asked to approve would help no one."""
        policy = self.settings.policy
        if not policy.readers:
            return Verdict(True)
        allowed = (*policy.readers, *policy.reviewers, *policy.requesters, *self.settings.oncall)
        ok, unresolved = await self._in(user, allowed)
        if ok:
            return Verdict(True)
        why = "you may not read run details (not in access.readers)"
        if unresolved:
            why += "; a reader user group could not be resolved with Slack just now"
        return Verdict(False, why)

    async def recoverer(self, user: str) -> Verdict:
        """Recovery (restore, manual intervention) is for reviewers and on-call."""
        if (await self.reviewer(user)).allowed:
            return Verdict(True)
        ok, _ = await self._in(user, self.settings.oncall)
        if ok:
            return Verdict(True)
        return Verdict(
            False, "recovery actions are for reviewers and on-call (access.reviewers, bot.oncall)"
        )

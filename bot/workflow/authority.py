"""Who is deciding, and whether they may: one check for every interface.

An :class:`Actor` is the identity the interface itself vouches for — a Slack user id from a
signed request, or the operating-system user and host of a terminal (``cli:alice@build-1``) —
never a name typed by the caller. :class:`Authority` answers "may this actor review?" from the
settings: ``access.reviewers`` (Slack user and user-group ids, groups resolved through Slack)
for Slack, ``access.terminal_reviewers`` for the terminal. The review gate asks it for every
decision, whichever interface the decision came through.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.config.settings import Policy


class Interface(StrEnum):
    SLACK = "slack"
    TERMINAL = "cli"


@dataclass(frozen=True)
class Actor:
    interface: Interface
    id: str  # Slack user id (U…/W…), or USER@HOST at a terminal

    @classmethod
    def slack(cls, user_id: str) -> Actor:
        return cls(Interface.SLACK, user_id)

    @classmethod
    def terminal(cls, user: str, host: str) -> Actor:
        if not user.strip() or not host.strip():
            raise ValueError("a terminal identity needs a user and a host")
        return cls(Interface.TERMINAL, f"{user}@{host}")

    @classmethod
    def this_terminal(cls) -> Actor:
        """The operating system's word for who runs this process (not an argument or a prompt)."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown-user"
        return cls.terminal(user, socket.gethostname() or "localhost")

    @property
    def key(self) -> str:
        """How the store records this actor: ``U0ALICE`` or ``cli:alice@host``."""
        return self.id if self.interface is Interface.SLACK else f"cli:{self.id}"


class ReviewerDirectory(Protocol):
    """Slack's answer to "is this user a reviewer?" (user groups included); bot.slack.access."""

    async def reviewer(self, user: str) -> _Verdict: ...


class _Verdict(Protocol):
    allowed: bool
    reason: str


class Authority:
    def __init__(self, policy: Policy, *, slack: ReviewerDirectory | None = None) -> None:
        self.policy = policy
        self.slack = slack

    async def may_review(self, actor: Actor) -> tuple[bool, str]:
        """(allowed, why not)."""
        if actor.interface is Interface.TERMINAL:
            user = actor.id.split("@", 1)[0]
            allowed = self.policy.terminal_reviewers
            if actor.id in allowed or user in allowed:
                return True, ""
            return False, (
                f"{actor.key} may not decide at the terminal: add '{user}' or '{actor.id}' to "
                "access.terminal_reviewers, or decide in Slack"
            )
        if self.slack is not None:
            verdict = await self.slack.reviewer(actor.id)
            return verdict.allowed, verdict.reason
        # No Slack directory in this process: only users named directly count (fail closed).
        if actor.id in self.policy.reviewers:
            return True, ""
        return False, "you are not a reviewer (access.reviewers)"

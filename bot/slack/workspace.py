"""Which Slack workspace a request comes from, and whether it is the one the bot is installed in.

Pure: payload dicts and ids in, a refusal reason (or None) out. The middleware in
``handlers/middleware.py`` supplies the installed workspace (bolt's single-team authorization
stores the bot token's ``auth.test`` answer on every request's context) and the optional
``[slack] team_id`` pin from the config.

A request names its workspace in several places (``team_id`` of a slash command, ``team.id``
and ``user.team_id`` of a click, ``view.team_id`` of a modal, ``enterprise_id`` /
``enterprise.id`` on Enterprise Grid). Every one of them that is present must be the installed
workspace: a user from another organisation clicking in a Slack Connect channel is a foreign
request too, and is refused. A request that names no workspace at all is refused as well (fail
closed): every command and interaction Slack sends names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RequestOrigin", "Workspace", "foreign_reason", "installed_workspace", "origin_of"]


@dataclass(frozen=True)
class Workspace:
    """The installed workspace. ``team_id`` None with an ``enterprise_id``: an org-wide install
    (any workspace of that organisation). ``problem``: the installed identity is inconsistent
    (the ``[slack] team_id`` pin names another workspace than the bot token's); every request
    is refused with it until the configuration is fixed."""

    team_id: str | None
    enterprise_id: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class RequestOrigin:
    """Every workspace and organisation id a request body names (empty strings dropped)."""

    team_ids: frozenset[str]
    enterprise_ids: frozenset[str]


def installed_workspace(
    *, token_team_id: str | None, token_enterprise_id: str | None, pinned_team_id: str | None
) -> Workspace:
    """The workspace to accept, from the bot token's ``auth.test`` ids and the config pin."""
    token_team = token_team_id or None
    enterprise = token_enterprise_id or None
    if pinned_team_id is None:
        return Workspace(team_id=token_team, enterprise_id=enterprise)
    if token_team is not None and token_team != pinned_team_id:
        return Workspace(
            team_id=pinned_team_id,
            enterprise_id=enterprise,
            problem=(
                f"[slack] team_id is {pinned_team_id} but the bot token belongs to workspace "
                f"{token_team}"
            ),
        )
    return Workspace(team_id=pinned_team_id, enterprise_id=enterprise)


def _ids(*values: Any) -> frozenset[str]:
    return frozenset(v for v in values if isinstance(v, str) and v)


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def origin_of(body: Any) -> RequestOrigin:
    """The workspace and organisation ids named anywhere Slack puts them in ``body``."""
    if not isinstance(body, dict):
        return RequestOrigin(frozenset(), frozenset())
    team, user, view = body.get("team"), body.get("user"), body.get("view")
    enterprise = body.get("enterprise")
    teams = _ids(
        body.get("team_id"),
        team if isinstance(team, str) else _field(team, "id"),
        _field(user, "team_id"),
        _field(view, "team_id"),
        _field(view, "app_installed_team_id"),
    )
    enterprises = _ids(
        body.get("enterprise_id"),
        enterprise if isinstance(enterprise, str) else _field(enterprise, "id"),
        _field(team, "enterprise_id"),
        _field(user, "enterprise_id"),
    )
    return RequestOrigin(team_ids=teams, enterprise_ids=enterprises)


def foreign_reason(origin: RequestOrigin, workspace: Workspace) -> str | None:
    """Why a request from ``origin`` is not from ``workspace`` (None when it is)."""
    if workspace.problem is not None:
        return workspace.problem
    if workspace.team_id is None and workspace.enterprise_id is None:
        return "the installed workspace is unknown (auth.test named none)"
    if workspace.team_id is not None:
        if not origin.team_ids:
            return "the request names no workspace"
        others = sorted(origin.team_ids - {workspace.team_id})
        if others:
            return f"workspace {', '.join(others)} is not the installed workspace"
    if workspace.enterprise_id is None:
        if origin.enterprise_ids:
            shown = ", ".join(sorted(origin.enterprise_ids))
            return f"organisation {shown} is not the installed workspace's"
        return None
    if workspace.team_id is None and not origin.enterprise_ids:
        return "the request names no organisation"
    others = sorted(origin.enterprise_ids - {workspace.enterprise_id})
    if others:
        return f"organisation {', '.join(others)} is not the installed organisation"
    return None

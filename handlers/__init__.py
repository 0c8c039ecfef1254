"""Bolt listeners: the ``/align`` command (later: buttons, modal submissions, app home).

``register(app, deps)`` is called once by ``bot.app.build_app``; listeners close over ``deps``
and take nothing from globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import ids
from handlers.actions import register_actions
from handlers.commands import register_commands
from handlers.drift import register_drift
from handlers.errors import install_error_handler
from handlers.middleware import drop_malformed, drop_replays, drop_retries, refuse_foreign
from handlers.views import register_views

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.app import Deps

__all__ = ["register"]


def register(app: AsyncApp, deps: Deps) -> None:
    install_error_handler(app)
    app.middleware(drop_retries(deps))
    app.middleware(refuse_foreign(deps))
    app.middleware(drop_replays(deps))
    app.middleware(drop_malformed(deps))
    register_commands(app, deps, command=ids.SLASH_COMMAND)
    register_drift(app, deps)
    register_actions(app, deps)  # last: ends with a catch-all for unknown buttons
    register_views(app, deps)

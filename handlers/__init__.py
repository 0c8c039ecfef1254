"""Bolt listeners: the ``/align`` command (later: buttons, modal submissions, app home).

``register(app, deps)`` is called once by ``bot.app.build_app``; listeners close over ``deps``
and take nothing from globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import ids
from handlers.commands import register_commands
from handlers.errors import install_error_handler
from handlers.middleware import drop_retries

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.app import Deps

__all__ = ["register"]


def register(app: AsyncApp, deps: Deps) -> None:
    install_error_handler(app)
    app.middleware(drop_retries(deps))
    register_commands(app, deps, command=ids.SLASH_COMMAND)

"""Test kit for Slack: a Web API emulator and a driver that signs requests like Slack."""

from .blockkit import block_problems, view_problems
from .driver import DriverResponse, SlackDriver, sign
from .emulator import Call, SlackEmulator

__all__ = [
    "Call",
    "DriverResponse",
    "SlackDriver",
    "SlackEmulator",
    "block_problems",
    "sign",
    "view_problems",
]

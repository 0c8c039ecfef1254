"""align-bot: safe, reviewable production schema alignment driven from Slack."""

__version__ = "0.1.0"

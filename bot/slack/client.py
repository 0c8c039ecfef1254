"""The Slack Web API client, built once from settings.

Every call (bolt's own, the notifier's, file uploads) goes through this client, so
``SLACK_API_URL`` redirects all of them (tests point it at the emulator). Retries are bounded:
HTTP 429 waits for ``Retry-After``; 5xx and dropped connections back off briefly. The waits
happen inside the awaited call, which is why nothing may call Slack between a request and its ack.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings

__all__ = ["DEFAULT_API_URL", "build_web_client"]

DEFAULT_API_URL = "https://slack.com/api/"


def build_web_client(
    slack: SlackSettings, *, token: str | None = None, max_retries: int = 2, timeout: int = 30
) -> AsyncWebClient:
    """An AsyncWebClient against ``slack.api_url`` (Slack's own when unset) with retry handlers
    for rate limits, server errors and connection errors."""
    bot_token = token if token is not None else (slack.bot_token.value if slack.bot_token else None)
    return AsyncWebClient(
        token=bot_token,
        base_url=slack.api_url or DEFAULT_API_URL,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
            AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        ],
    )

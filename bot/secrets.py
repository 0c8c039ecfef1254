"""Masking of secrets before text leaves the process (Slack, logs, files, reports).

Two mechanisms: URLs have their password replaced structurally, and a :class:`Masker` replaces
every known secret value (tokens, passwords resolved from ``${ENV}`` references) wherever it
appears in free text such as command output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# postgres://user:password@host  — also catches URLs embedded in longer text.
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@"
)
# Slack tokens (bot, user, app, config) and generic "password=..." pairs.
_TOKEN = re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
_KV_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)\s*=\s*('[^']*'|\S+)")


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (user, host and database kept)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}:{MASK}@{netloc[1]}"))


def mask_text(text: str) -> str:
    """Mask the secret shapes we can recognise without knowing the values."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _TOKEN.sub(MASK, text)
    return _KV_PASSWORD.sub(lambda m: f"{m.group(1)}={MASK}", text)


class Masker:
    """Replaces known secret values (and recognisable secret shapes) in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def with_secrets(self, secrets: Iterable[str]) -> Masker:
        return Masker([*self._secrets, *secrets])

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return mask_text(text)

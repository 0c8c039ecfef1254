"""Masking of secrets before text leaves the process (Slack, logs, files, reports).

Two mechanisms: URLs have their password replaced structurally, and a :class:`Masker` replaces
every known secret value (tokens, passwords resolved from ``${ENV}`` references) wherever it
appears in free text such as command output.

A secret rarely travels in the form it was configured in: a URL carries it percent-encoded, a
runbook under ``set -x`` prints it decoded (``PGPASSWORD=p@ss``), a JSON log line escapes its
``"`` and ``\\``, a shell trace quotes it. So a :class:`Masker` registers every form of each
secret (:func:`secret_forms`), and the log formatter masks fields *before* they are serialised.

A password may contain ``@``, ``:`` or ``/`` unencoded (libpq accepts it); the URL masker takes
the userinfo up to the *last* ``@`` of the URL, masking more rather than less when a query
holds an ``@`` too.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "***"
# Shorter values are too likely to be ordinary words or numbers to replace everywhere.
MIN_SECRET_LEN = 4

# The start of a URL with credentials: scheme:// then a user, then ':'. The rest of the
# non-blank run is examined by :func:`_mask_authority` to find where the password ends.
_URL_START = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?=\S)")
# Slack tokens (bot, user, app, config) and generic "password=..." pairs.
_TOKEN = re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
_KV_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)\s*=\s*('[^']*'|\S+)")


def _password_end(rest: str) -> int:
    """Index of the ``@`` that ends the password in ``rest`` (the text after ``user:``), or -1.

    The last ``@`` is taken: a password may hold ``@``, ``?``, ``#`` or ``/``, and no rule that
    stops earlier can tell them from a query. When a query itself holds an ``@`` the host is
    masked too, which is the safe mistake."""
    return rest.rfind("@")


def _mask_urls(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _URL_START.finditer(text):
        if match.start() < pos:  # inside a password already masked
            continue
        token_end = match.end()
        while token_end < len(text) and not text[token_end].isspace():
            token_end += 1
        at = _password_end(text[match.end() : token_end])
        if at < 0:
            continue
        out.append(text[pos : match.end()])
        out.append(MASK)
        pos = match.end() + at
    out.append(text[pos:])
    return "".join(out)


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (user, host and database kept)."""
    return _mask_urls(url)


def url_password(url: str) -> str | None:
    """The password of ``url`` as written (maybe percent-encoded), found the way
    :func:`mask_url` finds it: up to the last ``@`` before the host. ``None`` when absent."""
    match = _URL_START.match(url.strip())
    if not match:
        return None
    rest = url.strip()[match.end() :]
    at = _password_end(rest)
    return rest[:at] if at >= 0 else None


def mask_text(text: str) -> str:
    """Mask the secret shapes we can recognise without knowing the values."""
    text = _mask_urls(text)
    text = _TOKEN.sub(MASK, text)
    return _KV_PASSWORD.sub(lambda m: f"{m.group(1)}={MASK}", text)


def secret_forms(secret: str) -> set[str]:
    """Every spelling of ``secret`` that may reach output: as given, percent-decoded and
    percent-encoded (path and form style), JSON-escaped (ASCII or not) and shell-quoted."""
    bases = {secret, unquote(secret), unquote_plus(secret)}
    forms: set[str] = set()
    for base in bases:
        forms |= {
            base,
            quote(base, safe=""),
            quote(base),
            quote_plus(base),
            json.dumps(base)[1:-1],
            json.dumps(base, ensure_ascii=False)[1:-1],
            shlex.quote(base),
        }
    return {form for form in forms if len(form) >= MIN_SECRET_LEN}


class Masker:
    """Replaces known secret values, in every form (:func:`secret_forms`), and recognisable
    secret shapes in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN})
        forms = set().union(*(secret_forms(s) for s in self._secrets)) if self._secrets else set()
        # Longest first, so at each position the longest form wins and a secret that contains
        # another is masked whole; one pass, so a replacement never creates a new match.
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def with_secrets(self, secrets: Iterable[str]) -> Masker:
        return Masker([*self._secrets, *secrets])

    def mask(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        return mask_text(text)

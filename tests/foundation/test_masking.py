"""Masking: every form of a secret is masked wherever it appears (issue 12, masking gaps).

Written as the leak: a password built from the characters that break naive masking (``@ : /
% " \\ ' $`` and blanks) is put in a URL, a ``PGPASSWORD=`` line of a ``set -x`` trace, a JSON
log line and a shell-quoted argv; no spelling of it may survive.
"""

from __future__ import annotations

import io
import json
import logging
import shlex
from urllib.parse import quote, quote_plus

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.log import setup_logging
from bot.secrets import Masker, mask_text, mask_url, secret_forms, url_password

NASTY = "@:/%\"\\'$ ?#&+=;`!aZ9é"
passwords = st.text(alphabet=NASTY, min_size=6, max_size=24).filter(lambda p: p.strip())
no_blank = st.text(alphabet=NASTY.replace(" ", ""), min_size=6, max_size=24)


def _leaks(password: str, text: str) -> list[str]:
    """Every spelling of ``password`` that is still in ``text``."""
    return [form for form in secret_forms(password) if form in text]


@given(password=passwords)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_masker_every_form_of_a_nasty_password_is_masked(password: str) -> None:
    masker = Masker([password])
    outputs = [
        f"postgresql://app:{quote(password, safe='')}@db.internal:5432/prod",
        f"postgresql://app:{password}@db.internal:5432/prod",
        f"+ PGPASSWORD={password} psql -h db.internal",
        f"+ export PGPASSWORD={shlex.quote(password)}",
        f"form body: password={quote_plus(password)}&user=app",
        json.dumps({"msg": f"connect failed for {password}", "argv": [password]}),
        json.dumps({"msg": password}, ensure_ascii=False),
        " ".join(["pg_dump", "--dbname", shlex.quote(f"postgresql://app:{password}@h/db")]),
    ]
    for text in outputs:
        masked = masker.mask(text)
        assert _leaks(password, masked) == [], (text, masked)


@given(password=no_blank)
@settings(max_examples=300)
def test_mask_url_password_with_at_colon_slash_is_masked_without_knowing_it(password: str) -> None:
    # No masker knows this password: the URL shape alone must hide it, up to the last '@'.
    url = f"postgresql://app:{password}@db.internal:5432/prod"
    assert mask_url(url) == "postgresql://app:***@db.internal:5432/prod"
    masked = mask_text(f"could not connect to {url}: timeout")
    assert masked == "could not connect to postgresql://app:***@db.internal:5432/prod: timeout"
    assert url_password(url) == password


def test_mask_url_keeps_host_and_database_when_password_has_at() -> None:
    url = "postgresql://app:p@ss/w:rd@db.internal:5432/prod?sslmode=require"
    assert mask_url(url) == "postgresql://app:***@db.internal:5432/prod?sslmode=require"
    assert mask_url("postgresql://app@db/x") == "postgresql://app@db/x"
    assert mask_url("postgresql://db:5432/x") == "postgresql://db:5432/x"


def test_json_log_line_masks_quote_and_backslash_password_before_serialising() -> None:
    password = 'pa"ss\\wo@rd'
    stream = io.StringIO()
    handler = setup_logging(level="INFO", masker=Masker([password]), stream=stream)
    try:
        log = logging.getLogger("tests.masking")
        log.warning("login with %s failed", password, extra={"dsn": f"x://u:{password}@h/d"})
        try:
            raise RuntimeError(f"bad password {password}")
        except RuntimeError:
            log.exception("boom")
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert _leaks(password, text) == [], text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["msg"] == "login with *** failed"
    assert "***" in lines[1]["exc"]

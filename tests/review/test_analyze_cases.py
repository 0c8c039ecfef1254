"""Table-driven analyzer tests: statement -> codes -> verdict (no database needed)."""

from __future__ import annotations

import pytest

from bot.review import Tier, analyze
from tests.review.cases import CASES, SCRIPTS


def _codes(sql: str) -> list[str]:
    return [str(f.code) for s in analyze(sql).statements for f in s.findings]


@pytest.mark.parametrize(("sql", "codes", "verdict"), CASES, ids=[c[0][:50] for c in CASES])
def test_analyze_statement_codes_and_verdict(sql: str, codes: list[str], verdict: str) -> None:
    review = analyze(sql)
    assert _codes(sql) == codes
    assert review.verdict == Tier(verdict)


@pytest.mark.parametrize(
    ("sql", "codes", "verdict"), SCRIPTS, ids=[f"script{i}" for i in range(len(SCRIPTS))]
)
def test_analyze_script_codes_and_verdict(sql: str, codes: list[str], verdict: str) -> None:
    review = analyze(sql)
    assert _codes(sql) == codes
    assert review.verdict == Tier(verdict)


def test_analyze_table_has_at_least_80_statements() -> None:
    assert len(CASES) >= 80

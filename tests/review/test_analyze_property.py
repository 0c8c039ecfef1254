"""Property: analysing any script never raises, and every result is well formed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.review import Tier, analyze

_FRAGMENTS = [
    "DROP TABLE", "ALTER TABLE", "ADD COLUMN", "DROP COLUMN", "CREATE INDEX", "CONCURRENTLY",
    "ON", "t", '"T x"', "app.t", "(a)", "int", "NOT NULL", "DEFAULT", "now()", "random()",
    "CASCADE", "BEGIN", "COMMIT", "ATOMIC", "END", "CASE", ";", ";", ",", "'", "'it''s'",
    "$$", "$x$", "--", "\n", "/*", "*/", "DELETE FROM", "WHERE", "UPDATE", "SET", "TYPE",
    "ENUM", "CREATE TYPE", "RENAME TO", "é", "\\", "USING", "CHECK", "(", ")", "VACUUM",
]  # fmt: skip

_scripts = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map(" ".join),
    st.text(max_size=200),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_scripts)
def test_analyze_never_raises_on_generated_scripts(sql: str) -> None:
    review = analyze(sql)
    assert [s.index for s in review.statements] == list(range(1, len(review.statements) + 1))
    assert all(s.line >= 1 for s in review.statements)
    assert review.verdict in set(Tier)
    assert all(s.kind for s in review.statements)
    assert all(s.kind != "UNPARSED" or s.tier is not Tier.SAFE for s in review.statements)
    review.to_json()

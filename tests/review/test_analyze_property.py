"""Properties: analysing any script never raises, every result is well formed, and psql
meta-command lines between statements hide nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.review import Tier, analyze
from tests.review.cases import CASES

_FRAGMENTS = [
    "DROP TABLE", "ALTER TABLE", "ADD COLUMN", "DROP COLUMN", "CREATE INDEX", "CONCURRENTLY",
    "ON", "t", '"T x"', "app.t", "(a)", "int", "NOT NULL", "DEFAULT", "now()", "random()",
    "CASCADE", "BEGIN", "COMMIT", "ATOMIC", "END", "CASE", ";", ";", ",", "'", "'it''s'",
    "$$", "$x$", "--", "\n", "/*", "*/", "DELETE FROM", "WHERE", "UPDATE", "SET", "TYPE",
    "ENUM", "CREATE TYPE", "RENAME TO", "é", "\\", "USING", "CHECK", "(", ")", "VACUUM",
    "\\set x 1\n", "\n\\connect db\n", "\\g", "\\\\", "\\;", "\\:", "E'", '"', "\x00",
    "\ufeff", "\r\n", "ROLLBACK", "AND CHAIN", "SAVEPOINT", "START TRANSACTION", "READ ONLY",
]  # fmt: skip

_scripts = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map(" ".join),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join),
    st.tuples(st.sampled_from(["", "\ufeff"]), st.text(max_size=200)).map("".join),
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
    assert review.is_empty == all(s.txn_control == "fold" for s in review.statements)
    assert len(review.unappliable) == sum(1 for s in review.statements if s.unappliable_reason)
    assert ("\\" in sql or "\x00" in sql) or not any(
        s.kind in ("PSQL_META", "NUL BYTE") for s in review.statements
    )
    review.to_json()


# Complete statements (their quotes balanced), so a line after ";\n" starts outside any literal.
_STATEMENTS = [sql for sql, _, _ in CASES if "\\" not in sql]
_META_LINES = ["\\set x 1", "\\connect prod", "\\i other.sql", "\\echo 'a; b' \\\\", "\\gexec"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(_STATEMENTS), st.lists(st.sampled_from(_META_LINES), max_size=2)),
        min_size=1,
        max_size=8,
    )
)
def test_meta_command_lines_between_statements_hide_nothing(
    script: list[tuple[str, list[str]]],
) -> None:
    plain = "".join(f"{sql};\n" for sql, _ in script)
    with_meta = "".join(f"{sql};\n" + "".join(f"{m}\n" for m in metas) for sql, metas in script)
    expected = [(s.kind, s.tier, [f.code for f in s.findings]) for s in analyze(plain).statements]
    review = analyze(with_meta)
    sql_only = [s for s in review.statements if s.kind != "PSQL_META"]
    assert [(s.kind, s.tier, [f.code for f in s.findings]) for s in sql_only] == expected
    metas = sum(len(m) for _, m in script)
    assert sum(1 for s in review.statements if s.kind == "PSQL_META") == metas
    assert sum(1 for r in review.unappliable if "psql meta-command" in r) == metas

"""psql meta-commands: findings of their own, never swallowing or hiding SQL (no database)."""

from __future__ import annotations

import pytest

from bot.review import Tier, analyze
from bot.review.psqlscan import InterruptionKind, read_as_psql


def _codes(sql: str) -> list[str]:
    return [str(f.code) for s in analyze(sql).statements for f in s.findings]


def test_meta_command_line_no_longer_swallows_the_drop_after_it() -> None:
    review = analyze("\\set x 1\nDROP TABLE users;")
    assert review.verdict is Tier.DESTRUCTIVE
    meta, drop = review.statements
    assert (meta.kind, meta.line, meta.sql) == ("PSQL_META", 1, "\\set x 1")
    assert [str(f.code) for f in meta.findings] == ["PSQL_META_COMMAND"]
    assert (drop.kind, drop.line, drop.objects) == ("DROP TABLE", 2, ("public.users",))
    assert review.unappliable == (
        "line 1: psql meta-command \\set is not SQL and cannot be applied",
    )
    data = review.to_json()
    assert data["unappliable"] == list(review.unappliable)
    assert data["statement_count"] == 2


def test_meta_command_after_sql_on_the_same_line_is_found() -> None:
    # psql runs a backslash command wherever it sees one outside quotes, not only at line start.
    review = analyze("ALTER TABLE a ADD COLUMN b int; \\i evil.sql\nTRUNCATE users;")
    assert [s.kind for s in review.statements] == ["ALTER TABLE", "PSQL_META", "TRUNCATE"]
    assert review.unappliable == ("line 1: psql meta-command \\i is not SQL and cannot be applied",)
    assert review.verdict is Tier.DESTRUCTIVE


def test_every_meta_command_is_reported_with_its_line() -> None:
    sql = "\\connect prod\nCREATE TABLE t (id int);\n\\gexec\n-- c\n\\! rm -rf /\n"
    review = analyze(sql)
    assert [(s.kind, s.line) for s in review.statements] == [
        ("PSQL_META", 1),
        ("CREATE TABLE", 2),
        ("PSQL_META", 3),
        ("PSQL_META", 5),
    ]
    assert [r.split(":")[0] for r in review.unappliable] == ["line 1", "line 3", "line 5"]


def test_separator_ends_the_meta_command_and_the_sql_after_it_is_reviewed() -> None:
    assert _codes("\\echo done \\\\ DROP TABLE users;") == ["PSQL_META_COMMAND", "DROP_TABLE"]


def test_unterminated_quote_in_meta_arguments_stops_at_the_end_of_the_line() -> None:
    assert _codes("\\echo 'it\\\nDROP TABLE users;") == ["PSQL_META_COMMAND", "DROP_TABLE"]


def test_crlf_line_endings_end_meta_commands() -> None:
    review = analyze("\\set ON_ERROR_STOP on\r\nDROP TABLE users;\r\n")
    assert [s.kind for s in review.statements] == ["PSQL_META", "DROP TABLE"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT '\\set x 1';",
        "SELECT E'it\\'s \\g';",
        'CREATE TABLE "a\\b" (id int);',
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 \\g $$;",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT '\\q' $body$;",
        "-- \\connect other\nSELECT 1;",
        "/* outer /* \\i x */ still comment \\c db */ SELECT 1;",
    ],
)
def test_backslashes_inside_literals_identifiers_bodies_and_comments_are_not_commands(
    sql: str,
) -> None:
    review = analyze(sql)
    assert review.unappliable == ()
    assert all(s.kind != "PSQL_META" for s in review.statements)


def test_psql_semicolon_escape_and_send_commands_split_statements_like_psql() -> None:
    review = analyze("SELECT 1\\; DROP TABLE a;\nSELECT 2 \\g\nDROP TABLE b")
    assert [s.kind for s in review.statements] == [
        "SELECT",
        "DROP TABLE",
        "SELECT",
        "PSQL_META",
        "DROP TABLE",
    ]
    assert len(review.unappliable) == 1  # \; is not a meta-command, \g is


def test_meta_command_inside_a_statement_leaves_the_statement_psql_would_send() -> None:
    review = analyze("DROP TABLE\n\\set x 1\nusers;")
    drop, meta = review.statements
    assert drop.kind == "DROP TABLE" and drop.objects == ("public.users",)
    assert meta.line == 2


def test_read_as_psql_keeps_offsets_and_lines() -> None:
    text = "SELECT 1;\n\\set x 1\nSELECT 2;"
    psql = read_as_psql(text)
    assert len(psql.sql) == len(text)
    assert psql.sql.count("\n") == text.count("\n")
    (meta,) = psql.interruptions
    assert (meta.kind, meta.start, meta.name, meta.text) == (
        InterruptionKind.META,
        10,
        "set",
        "\\set x 1",
    )


def test_text_output_lists_why_the_plan_cannot_be_applied() -> None:
    from bot.review.render import render_review_text

    out = render_review_text(analyze("\\set x 1\nDROP TABLE users;"))
    assert out.startswith("Verdict: DESTRUCTIVE")
    assert "CANNOT BE APPLIED" in out
    assert "line 1: psql meta-command \\set is not SQL and cannot be applied" in out


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT $a$ x $a$$b$ \\q $b$;\n\\set x 1\nDROP TABLE users;",  # adjacent dollar bodies
        'SELECT "a"$b$ \\q $b$;\n\\set x 1\nDROP TABLE users;',  # body right after an identifier
    ],
)
def test_a_dollar_body_right_after_another_token_does_not_hide_later_commands(sql: str) -> None:
    review = analyze(sql)
    assert [r.split(":")[0] for r in review.unappliable] == ["line 2"]
    assert review.statements[-1].kind == "DROP TABLE"

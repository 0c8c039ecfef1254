"""Review input tricks on the bytes: NUL, invalid UTF-8, byte order marks (no database needed)."""

from __future__ import annotations

import pytest

from bot.errors import AlignError, ReviewInputError, SqlInputError
from bot.review import Tier, analyze
from bot.review.source import BOM_NOTE, SqlSource, decode_sql

BOM = b"\xef\xbb\xbf"


def test_decode_sql_refuses_a_nul_that_would_hide_the_drop_after_it() -> None:
    with pytest.raises(SqlInputError) as caught:
        decode_sql(b"SELECT 1; \x00 DROP TABLE users;", name="plan.sql")
    err = caught.value
    assert err.message == "plan.sql is not SQL text: NUL byte at offset 10 (line 1)"
    assert (err.offset, err.line) == (10, 1)
    assert isinstance(err, ReviewInputError) and isinstance(err, AlignError)


def test_decode_sql_names_the_line_of_a_nul_further_down() -> None:
    data = b"-- header\nALTER TABLE a ADD COLUMN b int;\nSELECT 1;\x00\nDROP TABLE users;\n"
    with pytest.raises(SqlInputError) as caught:
        decode_sql(data)
    assert caught.value.line == 3
    assert caught.value.offset == data.index(b"\x00")
    assert "the SQL file is not SQL text: NUL byte at offset" in caught.value.message


def test_decode_sql_refuses_invalid_utf8_and_reports_the_earliest_problem() -> None:
    with pytest.raises(SqlInputError, match=r"invalid UTF-8 at offset 10 \(line 2\)"):
        decode_sql(b"SELECT 1;\n\xff\xfe DROP TABLE users; \x00")
    with pytest.raises(SqlInputError, match=r"NUL byte at offset 2 \(line 1\)"):
        decode_sql(b"--\x00 \xff")


def test_decode_sql_counts_offsets_in_bytes_including_the_bom() -> None:
    with pytest.raises(SqlInputError) as caught:
        decode_sql(BOM + "-- é\n\x00".encode())
    assert (caught.value.offset, caught.value.line) == (9, 2)


def test_decode_sql_strips_a_leading_bom_so_the_drop_is_seen_as_destructive() -> None:
    source = decode_sql(BOM + b"DROP TABLE users;")
    assert source == SqlSource("DROP TABLE users;", bom_stripped=True)
    review = analyze(source)
    assert review.verdict is Tier.DESTRUCTIVE
    assert [str(f.code) for f in review.findings] == ["DROP_TABLE"]
    assert review.notes == (BOM_NOTE,)
    assert review.to_json()["notes"] == [BOM_NOTE]


def test_analyze_text_with_a_leading_bom_strips_and_notes_it_too() -> None:
    # Callers that decoded with read_text(encoding="utf-8") still have U+FEFF in front.
    review = analyze("\ufeffDROP TABLE users;")
    assert review.verdict is Tier.DESTRUCTIVE
    assert review.notes == (BOM_NOTE,)


def test_decode_sql_plain_text_has_no_notes() -> None:
    source = decode_sql(b"ALTER TABLE a ADD COLUMN b int;\n")
    assert not source.bom_stripped and source.notes == ()
    assert analyze(source).notes == ()


def test_analyze_a_bom_in_the_middle_is_not_stripped_and_never_safe() -> None:
    # psql only skips a BOM at the very start; elsewhere the server sees it and fails.
    review = analyze("SELECT 1;\n\ufeffDROP TABLE users;")
    assert review.notes == ()
    assert review.verdict is not Tier.SAFE


def test_analyze_text_with_a_nul_still_sees_the_drop_after_it_and_cannot_apply() -> None:
    # Defence in depth for callers that hand the analyzer text decoded without decode_sql.
    review = analyze("SELECT 1; \x00 DROP TABLE users;")
    assert review.verdict is Tier.DESTRUCTIVE
    assert [s.kind for s in review.statements] == ["SELECT", "NUL BYTE", "DROP TABLE"]
    assert [str(f.code) for f in review.findings] == ["DROP_TABLE", "UNPARSED"]
    assert review.unappliable == (
        "line 1: a NUL character: the script is not SQL text and cannot be applied",
    )


async def test_analyze_in_worker_keeps_the_bom_note_of_decoded_bytes() -> None:
    from bot.review import analyze_in_worker

    source = decode_sql(BOM + b"\\set x 1\nDROP TABLE users;")
    review = await analyze_in_worker(source)
    assert review == analyze(source)
    assert review.notes == (BOM_NOTE,) and review.verdict is Tier.DESTRUCTIVE
    assert len(review.unappliable) == 1

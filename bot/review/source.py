"""SQL bytes -> text, the way psql would read the file, refusing what is not SQL text.

Every path that turns a plan file into text for review goes through ``decode_sql``, so what the
reviewer sees is exactly what the server would be sent:

* a NUL byte is refused: libpg_query and the server read C strings, so everything after a NUL
  would be invisible to the analyzer and yet could reach production through another client;
* bytes that are not UTF-8 are refused (the server would refuse them too, after review);
* a leading UTF-8 byte order mark is stripped and recorded, because psql skips it on the first
  line; left in, it glues itself to the first keyword and a ``DROP TABLE`` no longer parses.

Pure: no I/O. Offsets in messages are byte offsets into the original data (BOM included).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import SqlInputError

__all__ = ["BOM_NOTE", "SqlSource", "decode_sql", "source_of"]

BOM_NOTE = "a UTF-8 byte order mark at the start of the file was removed (psql ignores it too)"


@dataclass(frozen=True, slots=True)
class SqlSource:
    """Script text ready for the analyzer, and what was done to the bytes to get it."""

    text: str
    bom_stripped: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        return (BOM_NOTE,) if self.bom_stripped else ()


def decode_sql(data: bytes, *, name: str = "the SQL file") -> SqlSource:
    """``data`` as script text; SqlInputError naming the first NUL or invalid byte otherwise.

    ``name`` is how the message refers to the input (a path, "standard input").
    """
    problems: list[tuple[int, str]] = []
    nul = data.find(b"\x00")
    if nul >= 0:
        problems.append((nul, "NUL byte"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append((exc.start, "invalid UTF-8"))
    if problems:
        offset, what = min(problems)
        line = data.count(b"\n", 0, offset) + 1
        raise SqlInputError(
            f"{name} is not SQL text: {what} at offset {offset} (line {line})",
            offset=offset,
            line=line,
        )
    return source_of(text)


def source_of(sql: str | SqlSource) -> SqlSource:
    """Text already decoded by someone else: a leading U+FEFF is stripped and noted, as
    ``decode_sql`` does for bytes (``read_text(encoding="utf-8")`` keeps it)."""
    if isinstance(sql, SqlSource):
        return sql
    if sql.startswith("\ufeff"):
        return SqlSource(sql[1:], bom_stripped=True)
    return SqlSource(sql)

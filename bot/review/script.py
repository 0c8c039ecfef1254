"""Split a SQL script into statements with the real PostgreSQL grammar (pglast / libpg_query).

The whole script is parsed once, which is what keeps a 20,000-statement file fast. Only when that
fails do we fall back to the grammar's scanner to cut the script at top-level semicolons and parse
each piece on its own, so one bad statement costs only itself: it comes back with ``node=None`` and
the parser's message, and the analyzer turns it into an UNPARSED finding (never "safe").

Comments, string literals and dollar-quoted bodies are handled by the scanner, never by us, which
is why text inside them can never look like a statement. Positions are character offsets (pglast
converts libpg_query's byte offsets), and ``line`` is the 1-based line of the statement's first
token, not of any comment above it.

The script is first read as psql reads it (``psqlscan.read_as_psql``): psql meta-commands and NUL
characters are cut out of the SQL and come back as statements of their own (``interruption`` set,
``node=None``), in script order, so a ``\\set`` line can neither swallow the statement after it
nor hide it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, replace

from pglast import ast, parser

from bot.review.psqlscan import Interruption, read_as_psql

__all__ = ["ParsedStatement", "parse_script"]


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One top-level statement: its text, where it starts, and its parse tree (or the error).

    ``start`` is the character offset of its first token. ``interruption`` is set (and ``node``
    is None) when this is not SQL at all but a psql meta-command or a NUL character.
    """

    index: int
    line: int
    sql: str
    node: ast.Node | None
    error: str | None = None
    start: int = 0
    interruption: Interruption | None = None


def parse_script(sql: str) -> list[ParsedStatement]:
    """Every non-empty statement in ``sql`` as psql would send it, and every meta-command or
    NUL between them, in order, numbered from 1."""
    psql = read_as_psql(sql)
    lines = _LineIndex(psql.sql)
    statements = _parse_sql(psql.sql, lines)
    if not psql.interruptions:
        return statements
    cut = [
        ParsedStatement(0, lines.line_of(i.start), i.text, None, start=i.start, interruption=i)
        for i in psql.interruptions
    ]
    merged = sorted([*statements, *cut], key=lambda s: s.start)
    return [replace(s, index=n) for n, s in enumerate(merged, 1)]


def _parse_sql(sql: str, lines: _LineIndex) -> list[ParsedStatement]:
    try:
        raw = parser.parse_sql(sql)
    except parser.ParseError:
        return _parse_piecewise(sql, lines)
    out: list[ParsedStatement] = []
    for item in raw:
        start = item.stmt_location or 0
        end = start + item.stmt_len if item.stmt_len else len(sql)
        start = _skip_trivia(sql, start, end)
        out.append(
            ParsedStatement(
                index=len(out) + 1,
                line=lines.line_of(start),
                sql=sql[start:end].strip(),
                node=item.stmt,
                start=start,
            )
        )
    return out


def _parse_piecewise(sql: str, lines: _LineIndex) -> list[ParsedStatement]:
    out: list[ParsedStatement] = []
    for start, stop in _split_pieces(sql):
        start = _skip_trivia(sql, start, stop)
        text = sql[start:stop].strip()
        if not text:
            continue
        line = lines.line_of(start)
        try:
            nodes = [raw.stmt for raw in parser.parse_sql(text)]
        except Exception as err:  # ParseError, or a scanner error on a broken literal
            out.append(ParsedStatement(len(out) + 1, line, text, None, str(err), start))
            continue
        if len(nodes) == 1:
            out.append(ParsedStatement(len(out) + 1, line, text, nodes[0], start=start))
        elif nodes:  # a boundary we did not see: keep the piece whole, reviewed by hand
            msg = "could not separate this piece into single statements"
            out.append(ParsedStatement(len(out) + 1, line, text, None, msg, start))
    return out


def _split_pieces(sql: str) -> list[tuple[int, int]]:
    """(start, stop) of each piece between top-level semicolons, using the grammar's scanner so
    semicolons in comments, literals and dollar quotes never cut. (pglast's own scanner split
    drops pieces that do not start with a keyword, which would hide a typo'd statement.) If the
    scanner fails (an unterminated literal), everything from the last cut on is one piece."""
    try:
        tokens = parser.scan(sql)
        tail = None
    except parser.ParseError as err:
        bad = err.args[1] if len(err.args) > 1 and isinstance(err.args[1], int) else 0
        tokens = _scan_prefix(sql, bad)
        tail = bad
    pieces: list[tuple[int, int]] = []
    start = 0
    depth = 0  # inside BEGIN ATOMIC ... END bodies, semicolons do not end the statement
    previous = ""
    for token in tokens:
        name = token.name
        if (name == "ATOMIC" and previous == "BEGIN_P") or (name == "CASE" and depth):
            depth += 1
        elif name == "END_P" and depth:
            depth -= 1
        elif name == "ASCII_59" and not depth:
            pieces.append((start, token.start))
            start = token.end + 1
        previous = name
    pieces.append((start, len(sql)))
    if tail is not None and pieces and pieces[-1][0] > tail:
        pieces[-1] = (pieces[-1][0], len(sql))
    return pieces


def _scan_prefix(sql: str, stop: int) -> list:
    try:
        return list(parser.scan(sql[:stop]))
    except parser.ParseError:
        return []


def _skip_trivia(sql: str, pos: int, end: int) -> int:
    """First offset at or after ``pos`` that is not whitespace or a comment."""
    while pos < end:
        ch = sql[pos]
        if ch.isspace():
            pos += 1
        elif sql.startswith("--", pos):
            newline = sql.find("\n", pos, end)
            pos = end if newline < 0 else newline + 1
        elif sql.startswith("/*", pos):
            pos = _skip_block_comment(sql, pos, end)
        else:
            break
    return pos


def _skip_block_comment(sql: str, pos: int, end: int) -> int:
    depth = 0
    while pos < end:
        if sql.startswith("/*", pos):
            depth += 1
            pos += 2
        elif sql.startswith("*/", pos):
            depth -= 1
            pos += 2
            if depth == 0:
                return pos
        else:
            pos += 1
    return end


class _LineIndex:
    """Offset -> 1-based line number, by binary search over newline positions."""

    def __init__(self, sql: str) -> None:
        self._newlines = [m.start() for m in re.finditer("\n", sql)]

    def line_of(self, offset: int) -> int:
        return bisect_left(self._newlines, offset) + 1

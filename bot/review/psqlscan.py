"""Read a script the way psql reads it: find the psql meta-commands and NULs that are not SQL.

psql, which runs most migration files, executes a backslash command wherever it sees a backslash
outside a quoted string, a quoted identifier, a dollar-quoted body or a comment; the command takes
the rest of the line, or runs up to a ``\\\\`` separator after which SQL continues. The SQL
grammar knows nothing of this, so left in the text a ``\\set x 1`` line glues itself to the next
statement and hides it. ``read_as_psql`` cuts every meta-command out (and every NUL character,
which no SQL client can send) and returns:

* ``sql``: the same text with those spans blanked (same length, same line breaks, so offsets and
  line numbers still point into the original), which is what psql would send to the server;
  a query-sending command (``\\g``, ``\\gexec``, ``\\gset``, ``\\watch``, …) leaves a ``;`` where it
  stood, since psql sends the buffer there, and ``\\;``/``\\:`` become the plain ``;``/``:`` psql
  puts in the buffer;
* ``interruptions``: what was cut out, in order, for the analyzer to report on its own.

Where psql's exact reading is uncertain (``\\if`` branches, ``\\r`` discarding the buffer, a
``\\\\`` inside a whole-line command such as ``\\!``) we keep the text visible to the analyzer:
showing a reviewer more than psql would run is safe; hiding something it would run is not. Any
interruption makes the plan unappliable anyway. Assumes ``standard_conforming_strings`` (the
default since PostgreSQL 9.1). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Interruption", "InterruptionKind", "PsqlText", "read_as_psql"]


class InterruptionKind(StrEnum):
    META = "meta"
    NUL = "nul"


@dataclass(frozen=True, slots=True)
class Interruption:
    """Text psql would not send to the server: a meta-command, or a NUL character.

    ``start`` is its character offset; ``text`` the meta-command as written (``"\\set x 1"``) or
    ``"NUL"``; ``name`` the command name without the backslash (``"set"``); ``count`` the number
    of NULs in the whole script (one interruption stands for all of them, at the first).
    """

    kind: InterruptionKind
    start: int
    text: str
    name: str = ""
    count: int = 1


@dataclass(frozen=True, slots=True)
class PsqlText:
    sql: str
    interruptions: tuple[Interruption, ...]


# Meta-commands after which psql sends the query buffer to the server (like a semicolon).
_SENDS_BUFFER = frozenset({"g", "gx", "gexec", "gset", "gdesc", "crosstabview", "watch"})
_SPECIAL = re.compile(r"--|/\*|['\"$\\]")
_IDENT = "A-Za-z_\u0080-\U0010ffff"
_DOLLAR_TAG = re.compile(rf"\$(?:[{_IDENT}][{_IDENT}0-9]*)?\$")
_COMMENT_MARK = re.compile(r"/\*|\*/")
_META_NAME = re.compile(r"[^\s\\]*")
_QUOTE_STOPS = {q: re.compile(re.escape(q)) for q in "'\""}
_ESCAPED_QUOTE_STOPS = {q: re.compile(rf"\\|{re.escape(q)}") for q in "'\""}


def read_as_psql(text: str) -> PsqlText:
    """``text`` with meta-commands and NULs blanked, and what was blanked (see module doc)."""
    found: list[Interruption] = []
    nul = text.find("\x00")
    if nul >= 0:
        found.append(Interruption(InterruptionKind.NUL, nul, "NUL", count=text.count("\x00")))
        text = text.replace("\x00", " ")
    if "\\" not in text:  # the common case: no backslash, nothing for psql to intercept
        return PsqlText(text, tuple(found))
    pieces: list[str] = []
    done = 0  # text[:done] is already in pieces
    pos = 0
    while (match := _SPECIAL.search(text, pos)) is not None:
        start = match.start()
        token = match.group()
        if token != "\\":
            # ``pos`` is where the last quoted construct ended: a token starts there afresh.
            pos = _skip_quoted(text, start, token, token_start=pos)
            continue
        if text.startswith((";", ":"), start + 1):  # psql's escape for a literal ; or :
            pieces += [text[done:start], " "]
            done = pos = start + 1
            continue
        stop, resume = _meta_extent(text, start)
        named = _META_NAME.match(text, start + 1)
        name = named.group() if named else ""
        blank = (";" if name in _SENDS_BUFFER else " ") + " " * (resume - start - 1)
        pieces += [text[done:start], blank]
        done = pos = resume
        found.append(
            Interruption(InterruptionKind.META, start, text[start:stop].rstrip(), name=name)
        )
    pieces.append(text[done:])
    found.sort(key=lambda i: i.start)
    return PsqlText("".join(pieces), tuple(found))


def _skip_quoted(text: str, start: int, token: str, *, token_start: int) -> int:
    """Offset just past the comment, literal, quoted identifier or dollar body at ``start``
    (the end of the text when it is not closed: psql keeps reading it to the end too).
    Characters before ``token_start`` belong to an earlier construct, never to an identifier."""
    if token == "--":
        newline = text.find("\n", start)
        return len(text) if newline < 0 else newline + 1
    if token == "/*":
        return _block_comment_end(text, start)
    if token == '"':
        return _quote_end(text, start + 1, '"', backslash=False)
    if token == "'":
        escapes = _is_escape_string(text, start, token_start)
        return _quote_end(text, start + 1, "'", backslash=escapes)
    return _dollar_end(text, start, token_start)


def _is_ident_char(ch: str) -> bool:
    return not ch.isascii() or ch.isalnum() or ch in "_$"


def _is_escape_string(text: str, quote: int, token_start: int) -> bool:
    """E'...' (backslash escapes apply): an E or e that starts a token right before the quote."""
    e = quote - 1
    return (
        e >= token_start
        and text[e] in "Ee"
        and (e == token_start or not _is_ident_char(text[e - 1]))
    )


def _quote_end(text: str, pos: int, quote: str, *, backslash: bool) -> int:
    stop = _ESCAPED_QUOTE_STOPS[quote] if backslash else _QUOTE_STOPS[quote]
    while (found := stop.search(text, pos)) is not None:
        if found.group() == "\\":
            pos = found.end() + 1  # the escaped character stands for itself
        elif text.startswith(quote, found.end()):
            pos = found.end() + 1  # a doubled quote stands for itself
        else:
            return found.end()
    return len(text)


def _block_comment_end(text: str, start: int) -> int:
    depth = 0  # block comments nest in PostgreSQL
    for mark in _COMMENT_MARK.finditer(text, start):
        depth += 1 if mark.group() == "/*" else -1
        if depth == 0:
            return mark.end()
    return len(text)


def _dollar_end(text: str, start: int, token_start: int) -> int:
    if start > token_start and _is_ident_char(text[start - 1]):
        return start + 1  # part of an identifier (a$b) or after a parameter digit
    tag = _DOLLAR_TAG.match(text, start)
    if tag is None:
        return start + 1  # $1 parameter, or a lone dollar
    close = text.find(tag.group(), tag.end())
    return len(text) if close < 0 else close + len(tag.group())


def _meta_extent(text: str, start: int) -> tuple[int, int]:
    """(end of the meta-command's text, where SQL resumes) for the backslash at ``start``: the
    end of the line, or a ``\\\\`` outside quoted arguments (SQL resumes after it)."""
    n = len(text)
    pos = start + 1
    quote = ""
    while pos < n:
        ch = text[pos]
        if ch == "\n":
            return pos, pos
        if quote:
            if ch == "\\" and quote == "'" and text[pos + 1 : pos + 2] not in ("", "\n"):
                pos += 1  # psql's escapes inside a quoted argument (\n, \'); never a newline
            elif ch == quote and not (quote != "`" and text.startswith(quote, pos + 1)):
                quote = ""
            elif ch == quote:
                pos += 1  # doubled quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "\\" and text.startswith("\\", pos + 1):
            return pos, pos + 2
        pos += 1
    return n, n

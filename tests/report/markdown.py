"""A small Markdown reader for report tests: headings → sections, ``**Field:** value`` lines,
checkbox lines, bullets, fenced code blocks and table rows. Enough to assert on structure
instead of comparing whole strings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_FIELD = re.compile(r"^\*\*(?P<name>[^*]+?):\*\*\s*(?P<value>.*)$")
_CHECK = re.compile(r"^- \[(?P<mark>[ x])\] (?P<label>.*)$")
_FENCE = re.compile(r"^(`{3,})(\w*)\s*$")


@dataclass
class Section:
    level: int
    title: str
    lines: list[str] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def all_lines(self) -> list[str]:
        out = list(self.lines)
        for child in self.children:
            out += [f"{'#' * child.level} {child.title}", *child.all_lines()]
        return out

    @property
    def fields(self) -> dict[str, str]:
        """``**Name:** value`` lines outside code blocks (first occurrence wins)."""
        found: dict[str, str] = {}
        for line in _outside_code(self.lines):
            m = _FIELD.match(line)
            if m and m["name"] not in found:
                found[m["name"]] = m["value"].strip()
        return found

    @property
    def checks(self) -> list[tuple[bool, str]]:
        return [
            (m["mark"] == "x", m["label"])
            for line in _outside_code(self.lines)
            if (m := _CHECK.match(line))
        ]

    def check(self, prefix: str) -> tuple[bool, str]:
        hits = [c for c in self.checks if c[1].startswith(prefix)]
        assert len(hits) == 1, (
            f"expected one checkbox starting {prefix!r} in {self.title}: {self.checks}"
        )
        return hits[0]

    @property
    def bullets(self) -> list[str]:
        return [
            line[2:]
            for line in _outside_code(self.lines)
            if line.startswith("- ") and not _CHECK.match(line)
        ]

    def bullets_after(self, field_name: str) -> list[str]:
        """The bullet list right after a ``**Field:**`` line."""
        out: list[str] = []
        started = False
        for line in _outside_code(self.lines):
            if not started:
                started = line.startswith(f"**{field_name}:**")
                continue
            if line.startswith("- "):
                out.append(line[2:])
            elif out or (line.strip() and not line.startswith("- ")):
                break
        return out

    @property
    def code_blocks(self) -> list[tuple[str, str]]:
        blocks, current, lang, fence = [], None, "", ""
        for line in self.lines:
            m = _FENCE.match(line)
            if current is None and m:
                current, fence, lang = [], m[1], m[2]
            elif current is not None and line.strip() == fence:
                blocks.append((lang, "\n".join(current)))
                current = None
            elif current is not None:
                current.append(line)
        return blocks

    @property
    def table_rows(self) -> list[list[str]]:
        rows = []
        for line in _outside_code(self.lines):
            if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
                cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
                rows.append([c.strip() for c in cells])
        return rows


def _outside_code(lines: list[str]) -> list[str]:
    out, fence = [], None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m[1]
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    return out


@dataclass
class Document:
    title: str
    sections: list[Section]

    def find(self, title: str) -> Section:
        """The section whose heading is ``title`` (at any level)."""
        stack = list(self.sections)
        while stack:
            s = stack.pop(0)
            if s.title == title:
                return s
            stack = s.children + stack
        raise AssertionError(f"no section {title!r}; have {self.titles()}")

    def titles(self) -> list[str]:
        out, stack = [], list(self.sections)
        while stack:
            s = stack.pop(0)
            out.append(s.title)
            stack = s.children + stack
        return out


def parse(text: str) -> Document:
    """Split on headings (outside code blocks) into a tree of sections."""
    title = ""
    roots: list[Section] = []
    stack: list[Section] = []
    fence = None
    for line in text.splitlines():
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m[1]
        elif fence is not None and line.strip() == fence:
            fence = None
        heading = _HEADING.match(line) if fence is None else None
        if heading:
            level, name = len(heading[1]), heading[2]
            if level == 1:
                title = name
                stack = []
                continue
            section = Section(level, name)
            while stack and stack[-1].level >= level:
                stack.pop()
            (stack[-1].children if stack else roots).append(section)
            stack.append(section)
        elif stack:
            stack[-1].lines.append(line)
    return Document(title, roots)


def field_anywhere(doc: Document, name: str) -> str:
    """The value of a ``**name:**`` field wherever it is (e.g. the closing Report Status)."""
    hits = []
    stack = list(doc.sections)
    while stack:
        s = stack.pop(0)
        if name in s.fields:
            hits.append(s.fields[name])
        stack = s.children + stack
    assert len(hits) == 1, f"expected one {name!r} field, found {hits}"
    return hits[0]

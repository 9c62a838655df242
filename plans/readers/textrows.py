"""Split text copied out of a Word document into table rows and plain lines.

Two layouts appear in real plans (see ``tests/fixtures/plans``):

- **one line per row**: the cells of a row are separated by tabs on one line
  (``"1. ประชุม…\\t20\\t20\\t←\\t\\t…"``); a line with two or more tabs, or a tab
  not at the start, is such a row.
- **one cell per line**: each cell starts on a new line with a single leading
  tab (``"\\t5"``, or just ``"\\t"`` for an empty cell); lines without a tab
  continue the cell above (a wrapped title, a "- sub-item", a second number);
  a blank line ends the row.

Everything else is a plain line. Line numbers are 1-based.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


@dataclass(frozen=True, slots=True)
class TextLine:
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Row:
    """A table row; a cell may hold several lines joined by "\\n"."""

    line: int
    cells: tuple[str, ...]

    def cell(self, index: int | None) -> str:
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]

    @property
    def text(self) -> str:
        return " ".join(clean(c) for c in self.cells if clean(c))


Item = TextLine | Row


def split_items(text: str) -> list[Item]:
    items: list[Item] = []
    cells: list[list[str]] | None = None
    start = 0

    def flush() -> None:
        nonlocal cells
        if cells is not None:
            items.append(Row(start, tuple("\n".join(c) for c in cells)))
            cells = None

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        tabs = line.count("\t")
        if tabs == 0 and not line.strip():
            flush()
        elif tabs == 1 and line.startswith("\t"):
            if cells is None:
                cells, start = [], number
            cells.append([line[1:]])
        elif tabs >= 1:
            flush()
            items.append(Row(number, tuple(line.split("\t"))))
        elif cells is not None:
            cells[-1].append(line)
        else:
            items.append(TextLine(number, line))
    flush()
    return items


def clean(text: str) -> str:
    """Markup and extra whitespace removed: HTML tags, "[bookmark: …]", "**"
    emphasis, leading "#"; Thai vowels and tone marks are left alone."""
    text = _BOOKMARK.sub("", _TAG.sub(" ", text)).replace("**", "")
    return " ".join(text.split()).lstrip("#").strip()


def join_wrapped(lines: list[str]) -> str:
    """Join lines of one wrapped cell. Thai does not put spaces between words,
    so a wrap between two Thai characters is joined without a space."""
    out = ""
    for raw in lines:
        part = clean(raw)
        if not part:
            continue
        if out and not (_THAI.match(out[-1]) and _THAI.match(part[0])):
            out += " "
        out += part
    return out

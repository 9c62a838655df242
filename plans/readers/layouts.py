"""Step-table layouts that differ from unit to unit, brought to the one the reader knows.

Applied to the rows of copied text and of a .docx alike, before tables are found:

- **a header split over two or three rows** ("ขั้นตอนการปฏิบัติงาน" above
  "ของโครงการ", "เนื้องาน" above "(ร้อยละ)"): the rows are joined cell by cell
  into one header row;
- **a separate step-number column** ("ขั้นตอนที่" | "ขั้นตอนการปฏิบัติงาน …"):
  the number and the title are joined into one cell, "1. ประชุม", as the plans
  that write them together have it.
"""

from __future__ import annotations

import re

from plans.readers.stepcells import month_cells
from plans.readers.textrows import Item, Row, clean
from plans.thai import to_arabic_digits

_NUMBER_HEADERS = {"ขั้นตอนที่", "ที่", "ลำดับ", "ลำดับที่"}
_NUMBER = re.compile(r"^[0-9]{1,2}(?:\.[0-9]{1,2})*\.?$")
_HEADER_ROWS = 3


def _squeeze(text: str) -> str:
    return "".join(clean(text).split())


def is_step_header(row: Row) -> bool:
    cells = [_squeeze(c) for c in row.cells]
    return any(c.startswith("ขั้นตอน") for c in cells) and any("เนื้องาน" in c for c in cells)


def _starts_a_header(row: Row) -> bool:
    return any(_squeeze(c).startswith("ขั้นตอน") for c in row.cells)


def _joined(rows: list[Row]) -> Row:
    width = max(len(r.cells) for r in rows)
    cells = tuple(" ".join(clean(r.cell(c)) for r in rows if clean(r.cell(c))) for c in range(width))
    return Row(rows[0].line, cells)


def normalise(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, Row) and _starts_a_header(item):
            item, i = _whole_header(items, i)
        if isinstance(item, Row) and is_step_header(item) and (col := _number_column(item)) is not None:
            out.append(_merge_columns(item, col))
            i += 1
            while i < len(items) and isinstance(row := items[i], Row) and not is_step_header(row):
                out.append(_merge_columns(row, col))
                i += 1
            continue
        out.append(item)
        i += 1
    return out


def _whole_header(items: list[Item], start: int) -> tuple[Row, int]:
    """The header starting at ``start`` with the rows it wraps onto joined in, and the
    index of its last row. Rows that only continue the header's words have no digits."""
    first = items[start]
    assert isinstance(first, Row)
    rows = [first]
    while len(rows) < _HEADER_ROWS and start + len(rows) < len(items):
        following = items[start + len(rows)]
        if not isinstance(following, Row) or not _continues_header(following):
            break
        rows.append(following)
    for n in range(len(rows), 0, -1):  # as many rows as still make a step header
        joined = _joined(rows[:n]) if n > 1 else first
        if is_step_header(joined):
            return joined, start + n - 1
    return first, start


def _continues_header(row: Row) -> bool:
    text = to_arabic_digits(" ".join(clean(c) for c in row.cells))
    return bool(text) and not any(ch.isdigit() for ch in text) and len(month_cells(row)) < 6


def _number_column(header: Row) -> int | None:
    cells = [_squeeze(c) for c in header.cells]
    for col, cell in enumerate(cells[:-1]):
        if cell in _NUMBER_HEADERS and ("ขั้นตอน" in cells[col + 1] or "กิจกรรม" in cells[col + 1]):
            return col
    return None


def _merge_columns(row: Row, col: int) -> Row:
    number, title = clean(row.cell(col)), row.cell(col + 1)
    if _NUMBER.match(to_arabic_digits(number)):
        merged = f"{number.rstrip('.')}. {title}"
    else:
        merged = "\n".join(part for part in (number, title) if clean(part))
    return Row(row.line, (*row.cells[:col], merged, *row.cells[col + 2 :]))


def has_month_columns(items: list[Item], start: int) -> bool:
    """The table starting at ``start`` (not a step table) has a row of month columns in
    its first three rows: a table of measures or budgets laid out like a step plan."""
    for item in items[start : start + _HEADER_ROWS]:
        if not isinstance(item, Row):
            return False
        if len(month_cells(item)) >= 6:
            return True
    return False

"""Step tables laid out in a spreadsheet as in the Word document (not the one-row-per-step
template): the same rows the step-table reader takes, from .xlsx or .csv.

A row with one filled cell is a line of text (a heading such as "ชื่อโครงการ …"); any
other row is a table row. Merged cells read as text copying gives them (the value,
then empty cells). A month cell left blank but filled with a colour is marked as the
.docx reader marks shading, so both say how a month was read.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from plans.readers.layouts import has_month_columns, is_step_header, normalise
from plans.readers.stepcells import SHADED
from plans.readers.textrows import Item, Row, TextLine, clean

_NO_FILL = {None, "00000000", "FFFFFFFF", "FFFFFF"}


def is_step_table_sheet(items: list[Item]) -> bool:
    """The rows hold a step table with month columns: the document's layout, not the template."""
    items = normalise(items)
    return any(isinstance(item, Row) and is_step_header(item) and has_month_columns(items, i)
               for i, item in enumerate(items))  # fmt: skip


def workbook_items(data: bytes) -> list[Item]:
    from openpyxl import load_workbook  # heavy: only when a workbook arrives

    book = load_workbook(io.BytesIO(data), data_only=True)  # not read-only: fills are read
    try:
        rows: list[list[str]] = []
        for sheet in book.worksheets:
            rows.extend([_text(cell) for cell in row] for row in sheet.iter_rows())
        return _items(rows)
    finally:
        book.close()


def csv_items(text: str) -> list[Item]:
    return _items([list(row) for row in csv.reader(io.StringIO(text))])


def _items(rows: list[list[str]]) -> list[Item]:
    """A row with its first cell alone filled is a line of text, unless it sits inside a
    table (right after a row of several cells): then it continues that table."""
    items: list[Item] = []
    in_table = False
    for line, cells in enumerate(rows, start=1):
        filled = [c for c in cells if clean(c)]
        if not filled:
            in_table = False
            continue
        if len(filled) == 1 and clean(cells[0]) and not in_table:
            items.append(TextLine(line, cells[0]))
            continue
        while cells and not clean(cells[-1]):
            cells = cells[:-1]
        items.append(Row(line, tuple(cells)))
        in_table = in_table or len(filled) >= 3
    return items


def _text(cell: Any) -> str:
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        fill = getattr(cell, "fill", None)
        colour = getattr(getattr(fill, "fgColor", None), "rgb", None)
        if fill is not None and fill.fill_type == "solid" and isinstance(colour, str) and colour not in _NO_FILL:
            return SHADED
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

"""Workbooks holding step tables as the Word document lays them out, for the readers' tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from plans.readers.textrows import Item, TextLine, clean
from tests.plans.readers.docx_fixtures import MARK_ONLY

GREY = PatternFill(fill_type="solid", fgColor="FFBFBFBF")


def workbook_from_items(items: Sequence[Item], *, marks: str = "text") -> bytes:
    """One sheet, a row per line or table row; ``marks="shading"`` blanks the mark-only month
    cells and fills them grey, as units that draw their plan in Excel do."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for item in items:
        if isinstance(item, TextLine):
            sheet.append([item.text] if clean(item.text) else [])
            continue
        sheet.append([" ".join(c.split("\n")) if c else None for c in item.cells])
        if marks == "shading":
            for col, text in enumerate(item.cells, start=1):
                if col > 3 and MARK_ONLY.match(text) and clean(text) not in ("", "-"):
                    cell = sheet.cell(row=sheet.max_row, column=col)
                    cell.value = None
                    cell.fill = GREY
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_from_items(items: Sequence[Item]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    for item in items:
        writer.writerow([item.text] if isinstance(item, TextLine) else [" ".join(c.split("\n")) for c in item.cells])
    return out.getvalue().encode("utf-8-sig")

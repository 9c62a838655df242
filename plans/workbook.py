"""The export workbook, built in memory with openpyxl: a summary sheet (one row per
project, real numbers and dates), then one sheet per project in the layout of the
official form (section 1 header block; section 2 one row per report), its months
and quarters as a table, and a native Excel line chart (the S-curve: planned
against actual cumulative %) drawn from that table, so it stays live when someone
edits the cells. Thai text wraps; widths, number formats and A4 landscape are set.
Pure: plain data in, a ``Workbook`` out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from plans.official_form import (
    NO_BUDGET,
    TITLE,
    ProjectForm,
    monthly,
    on_plan_text,
    on_target_text,
    quarterly,
    verdict_note,
)
from plans.summary import Summary

FONT = "TH Sarabun New"  # the BMA's document font; LibreOffice/Excel fall back when absent
# The Thai Buddhist calendar (LCID 041E, calendar 07): "16/01/2566" in Excel and LibreOffice
# alike; the newer "[$-th-TH,107]" is not read by LibreOffice.
BE_DATE = "[$-107041E]dd/mm/yyyy"
PERCENT = "0.00"
BAHT = "#,##0.00"
WRAP = Alignment(wrap_text=True, vertical="top")
HEAD_FILL = PatternFill("solid", fgColor="DDE5F7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SUMMARY_HEADERS = (
    ("รหัสโครงการ", 16), ("ชื่อโครงการ", 50), ("หน่วยงาน", 30), ("แผน (%)", 10), ("ผล (%)", 10),
    ("สถานะ", 16), ("รายงานล่าสุด", 14), ("งบประมาณที่ได้รับ (บาท)", 18), ("เบิกจ่าย (บาท)", 16),
)  # fmt: skip
REPORT_HEADERS = (
    ("ครั้งที่", 8), ("วันที่", 12), ("ผลการดำเนินงาน", 60), ("ความก้าวหน้าสะสม (%)", 14),
    ("งบประมาณที่เบิกใช้ (บาท)", 16), ("เป็นไปตามแผน", 16), ("เป็นไปตามเป้าหมาย", 18), ("หมายเหตุ", 40),
)  # fmt: skip



def build_workbook(summary: Summary | None, forms: Sequence[ProjectForm], *, on: date) -> Workbook:
    book = Workbook()
    first = book.active
    assert first is not None
    if summary is not None:
        _summary_sheet(first, summary)
    else:
        book.remove(first)
    used: set[str] = set()
    for form in forms:
        _project_sheet(book.create_sheet(_sheet_name(form, used)), form, on)
    return book


def _summary_sheet(ws: Worksheet, summary: Summary) -> None:
    ws.title = "สรุป"
    ws.append([f"สรุปความก้าวหน้า ณ {_be(summary.on)} · ปีงบประมาณ {summary.fiscal_year}"])
    ws["A1"].font = Font(name=FONT, bold=True, size=16)
    _header(ws, 2, SUMMARY_HEADERS)
    for p in summary.projects:
        ws.append([
            p.code, p.name, p.unit, _float(p.planned), _float(p.actual), p.status.label_th,
            p.last_reported_on, _float(p.budget), _float(p.disbursed),
        ])  # fmt: skip
        row = ws.max_row
        for col, fmt in ((4, PERCENT), (5, PERCENT), (7, BE_DATE), (8, BAHT), (9, BAHT)):
            ws.cell(row, col).number_format = fmt
        _body_row(ws, row, len(SUMMARY_HEADERS))
        ws.row_dimensions[row].height = _height(max(_lines(p.name, 50), _lines(p.unit, 30)))
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:I{max(ws.max_row, 2)}"
    _print_setup(ws, title_rows="2:2")


def _project_sheet(ws: Worksheet, form: ProjectForm, on: date) -> None:
    sheet, entries = form.sheet, form.entries
    for col, (_, width) in enumerate(REPORT_HEADERS, start=1):
        ws.column_dimensions[_letter(col)].width = width
    ws.append([TITLE.strip("* ")])
    ws.merge_cells("A1:H1")
    ws["A1"].font = Font(name=FONT, bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["1. ชื่อโครงการและหน่วยงานที่รับผิดชอบโครงการ"])
    ws.cell(ws.max_row, 1).font = Font(name=FONT, bold=True)
    spent = sum((e.budget_disbursed for e in entries), Decimal(0))
    budget: object = NO_BUDGET if sheet.budget == 0 else _float(sheet.budget)
    particulars: list[tuple[str, object, str | None]] = [
        ("ชื่อโครงการ/กิจกรรม", sheet.name, None),
        ("รหัสโครงการ", sheet.code or "-", None),
        ("ปีงบประมาณ พ.ศ.", sheet.fiscal_year, "0"),
        ("เริ่มต้นโครงการ", sheet.starts_on, BE_DATE),
        ("สิ้นสุดโครงการ", sheet.ends_on, BE_DATE),
        ("งบประมาณที่ได้รับ (บาท)", budget, BAHT),
        ("งบประมาณที่ใช้ไป (บาท)", float(spent), BAHT),
        ("หน่วยงานที่รับผิดชอบ", sheet.unit_path.replace("/", " / "), None),
        ("ชื่อผู้รับผิดชอบ", sheet.responsible or "-", None),
        ("โทรศัพท์", sheet.phone or "-", None),
        ("ตัวชี้วัด", sheet.kpi or "-", None),
        ("ค่าเป้าหมาย", sheet.target or "-", None),
        ("ผลการดำเนินงานตามตัวชี้วัด", sheet.kpi_value or "-", None),
    ]
    for label, value, fmt in particulars:
        # The label over the two narrow columns, the value over the rest of the width.
        ws.append([label, None, value])
        row = ws.max_row
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
        ws.cell(row, 1).font = Font(name=FONT, bold=True)
        ws.cell(row, 1).alignment = WRAP
        ws.cell(row, 3).font = Font(name=FONT)
        ws.cell(row, 3).alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        if fmt:
            ws.cell(row, 3).number_format = fmt
        ws.row_dimensions[row].height = _height(max(_lines(str(value), 150), _lines(label, 20)))
    ws.append([])
    ws.append(["2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ"])
    ws.cell(ws.max_row, 1).font = Font(name=FONT, bold=True)
    _header(ws, ws.max_row + 1, REPORT_HEADERS)
    for e in entries:
        notes = [x for x in (e.obstacles and f"ปัญหาอุปสรรค: {e.obstacles}",
                             e.reason and f"เหตุผลที่ความก้าวหน้าลดลง: {e.reason}", verdict_note(e)) if x]  # fmt: skip
        ws.append([e.number, e.reported_on, e.work_done, float(e.percent), float(e.budget_disbursed),
                   on_plan_text(e), on_target_text(e), "\n".join(notes)])  # fmt: skip
        row = ws.max_row
        ws.cell(row, 2).number_format = BE_DATE
        ws.cell(row, 4).number_format = PERCENT
        ws.cell(row, 5).number_format = BAHT
        _body_row(ws, row, len(REPORT_HEADERS))
        ws.row_dimensions[row].height = _height(max(_lines(e.work_done, 60), _lines(ws.cell(row, 8).value or "", 40)))
    if not entries:
        ws.append(["", "", "ยังไม่มีรายงานความก้าวหน้า"])
    _curve(ws, form, on)
    _print_setup(ws)


def _curve(ws: Worksheet, form: ProjectForm, on: date) -> None:
    """Months and quarters as cells, and the S-curve drawn from the months' cells."""
    ws.append([])
    ws.append(["3. ความก้าวหน้าสะสมเทียบกับแผน รายเดือนและรายไตรมาส"])
    ws.cell(ws.max_row, 1).font = Font(name=FONT, bold=True)
    top = ws.max_row + 1
    _header(ws, top, (("เดือน", 0), ("แผนสะสม (%)", 0), ("ผลสะสม (%)", 0)))
    for period in monthly(form.sheet, form.entries, on):
        ws.append([period.label, _float(period.planned), _float(period.actual)])
        _body_row(ws, ws.max_row, 3, formats={2: PERCENT, 3: PERCENT})
        ws.row_dimensions[ws.max_row].height = _height(1)
    last = ws.max_row
    quarter_top = last + 2
    _header(ws, quarter_top, (("ไตรมาส", 0), ("แผนสะสม (%)", 0), ("ผลสะสม (%)", 0)))
    for n, period in enumerate(quarterly(form.sheet, form.entries, on), start=1):
        row = quarter_top + n
        for col, value in enumerate((period.label, _float(period.planned), _float(period.actual)), start=1):
            ws.cell(row, col, value)
        _body_row(ws, row, 3, formats={2: PERCENT, 3: PERCENT})
        ws.row_dimensions[row].height = _height(_lines(period.label, 8))

    chart = LineChart()
    chart.title = "ความก้าวหน้าสะสม: แผนเทียบกับผล"
    chart.y_axis.title = "ร้อยละ"
    chart.x_axis.title = "เดือน"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.height, chart.width = 8, 18
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=top, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=last))
    chart.series[0].graphicalProperties.line.dashStyle = "dash"
    ws.add_chart(chart, f"D{top}")


def _header(ws: Worksheet, row: int, headers: Sequence[tuple[str, int]]) -> None:
    for col, (label, width) in enumerate(headers, start=1):
        cell = ws.cell(row, col, label)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BOX
        if width:
            ws.column_dimensions[_letter(col)].width = width
    tallest = max(_lines(label, width or 12) for label, width in headers)
    ws.row_dimensions[row].height = _height(tallest)


def _body_row(ws: Worksheet, row: int, columns: int, *, formats: dict[int, str] | None = None) -> None:
    for col in range(1, columns + 1):
        cell = ws.cell(row, col)
        cell.font = Font(name=FONT)
        cell.alignment = WRAP
        cell.border = BOX
        if formats and col in formats:
            cell.number_format = formats[col]


def _print_setup(ws: Worksheet, *, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if title_rows:
        ws.print_title_rows = title_rows


def _sheet_name(form: ProjectForm, used: set[str]) -> str:
    """Excel's rule: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", "-", form.sheet.code or f"โครงการ {form.id}")[:31]
    name, n = base, 2
    while name in used or name == "สรุป":
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _lines(text: str, width: int) -> int:
    """About how many lines ``text`` takes in a column ``width`` characters wide: Thai
    vowel and tone marks above and below the line take no width of their own."""
    def visible(line: str) -> int:
        return sum(1 for ch in line if not ("\u0e31" <= ch <= "\u0e3a" or "\u0e47" <= ch <= "\u0e4e"))

    return sum(max(1, -(-visible(line) // width)) for line in text.split("\n"))


def _height(lines: int) -> float:
    return min(409, 20 * lines)  # points; 409 is Excel's most


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _be(day: date) -> str:
    return f"{day.day}/{day.month:02d}/{day.year + 543}"

"""Write the plan spreadsheet template: the header row, one filled example
project (3 steps, FY 2570), and a notes sheet (หมายเหตุ) explaining each column
in Thai and English."""

from __future__ import annotations

import os

from plans.readers.columns import COLUMNS

SHEET_TITLE = "แผนปฏิบัติงาน"
NOTES_TITLE = "หมายเหตุ"

_EXAMPLE_PROJECT = {
    "unit": "สำนักงานเขตตัวอย่าง",
    "fiscal_year": 2570,
    "kpi": "ร้อยละความสำเร็จของการดำเนินงานตามภารกิจ/โครงการงานประจำ ของสำนักงานเขต",
    "project_code": "50310000-3105",
    "project": "โครงการอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน (หลักสูตรทบทวน)",
    "budget": 120000,
    "responsible": "ฝ่ายปกครอง",
}
_EXAMPLE_STEPS = (
    (1, "ขออนุมัติโครงการและจัดทำคำสั่งแต่งตั้งเจ้าหน้าที่", 20, "ต.ค.-พ.ย. 69"),
    (2, "ดำเนินการฝึกอบรม", 60, "ธ.ค. 69 - มี.ค. 70"),
    (3, "ติดตามประเมินผลและรายงานผลให้กรุงเทพมหานครทราบ", 20, "เม.ย.-พ.ค. 70"),
)
_WIDTHS = {"unit": 22, "kpi": 40, "project": 45, "step": 45, "months": 20, "responsible": 18}


def write_template(path: str | os.PathLike[str]) -> None:
    """Write the template workbook to ``path`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    sheet.append([c.thai for c in COLUMNS])
    for no, title, weight, months in _EXAMPLE_STEPS:
        values = dict(_EXAMPLE_PROJECT) if no == 1 else {"project": _EXAMPLE_PROJECT["project"]}
        values.update(step_no=no, step=title, weight=weight, months=months)
        sheet.append([values.get(c.key) for c in COLUMNS])
    for col, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=col).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(col)].width = _WIDTHS.get(column.key, 13)
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(NOTES_TITLE)
    notes.append(["คอลัมน์", "คำอธิบาย", "Column", "Description", "จำเป็น / Required"])
    for column in COLUMNS:
        notes.append([
            column.thai, column.help_th, column.key, column.help_en,
            "จำเป็น / required" if column.required else "ไม่บังคับ / optional",
        ])  # fmt: skip
    notes.append([])
    notes.append([
        "หนึ่งแถวคือหนึ่งขั้นตอน ขั้นตอนของโครงการเดียวกันใช้ชื่อโครงการเดียวกัน "
        "เนื้องาน (ร้อยละ) ของทุกขั้นตอนในโครงการต้องรวมกันได้ 100",
        "", "One row per step; steps of a project share its name; a project's weights "
        "add up to 100.",
    ])  # fmt: skip
    for letter, width in zip("ABCDE", (16, 70, 14, 70, 20), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in notes[1]:
        cell.font = Font(bold=True)
    book.save(os.fspath(path))

"""Write the plan spreadsheet template: the header row, one filled example
project (3 steps, FY 2570), and a notes sheet (หมายเหตุ) explaining each column
in Thai and English. Or, instead of the example, plans already stored, so a
coordinator can fill in what the document lacked (months, a budget, a code) and
import the file back: the same projects are updated in place."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from plans.fiscal import YearMonth
from plans.model import ParsedProject
from plans.readers.columns import COLUMNS
from plans.thai import format_thai_month

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


def month_span(months: Sequence[YearMonth]) -> str:
    """A step's months as the template's reader takes them: "ต.ค. 69" or "ธ.ค. 69 - มี.ค. 70"."""
    if not months:
        return ""
    first, last = months[0], months[-1]
    start = format_thai_month(first.year, first.month, short_year=True)
    return start if first == last else f"{start} - {format_thai_month(last.year, last.month, short_year=True)}"


def plan_rows(projects: Sequence[ParsedProject]) -> list[dict[str, Any]]:
    """One row per step of each project, project-level cells on its first row."""
    rows: list[dict[str, Any]] = []
    for project in projects:
        for index, step in enumerate(project.steps):
            row: dict[str, Any] = {"project": project.name, "step_no": step.no, "step": step.title,
                                   "weight": step.weight, "months": month_span(step.months)}  # fmt: skip
            if index == 0:
                row.update(unit=project.unit, fiscal_year=project.fiscal_year, kpi=project.kpi,
                           project_code=project.code, budget=project.budget,
                           responsible=project.responsible)  # fmt: skip
            rows.append(row)
    return rows


def write_template(path: str | os.PathLike[str], projects: Sequence[ParsedProject] | None = None) -> None:
    """Write the template workbook to ``path`` (.xlsx): the example, or ``projects``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    sheet.append([c.thai for c in COLUMNS])
    if projects is None:
        rows: list[dict[str, Any]] = []
        for no, title, weight, months in _EXAMPLE_STEPS:
            values: dict[str, Any] = dict(_EXAMPLE_PROJECT) if no == 1 else {"project": _EXAMPLE_PROJECT["project"]}
            values.update(step_no=no, step=title, weight=weight, months=months)
            rows.append(values)
    else:
        rows = plan_rows(projects)
    for values in rows:
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

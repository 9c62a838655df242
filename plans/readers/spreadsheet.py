"""Read the plan spreadsheet template (.xlsx, or .csv in UTF-8 with or without
BOM): one row per step, headers in Thai or English (``plans.readers.columns``).

A file that cannot be read at all raises ``PlanFileError`` naming the row and
column; a bad cell becomes a ``Problem`` of its project, so a unit sees every
mistake at once.

Rows belong to the project named in their "ชื่อโครงการ" cell; a blank cell
continues the project above. Project-level cells (unit, fiscal year, KPI,
code, budget, responsible) may be filled on the project's first row only; the
unit and fiscal year also carry over to the next projects. A later row that
contradicts a filled value gets a warning and the first value is kept. When no
fiscal year is given it is taken from the first step's months.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from plans.fiscal import YearMonth, fiscal_year_of, parse_month_span
from plans.model import ParsedProject, PlanFileError, PlanStep, Problem, ProblemLevel
from plans.readers.columns import BY_KEY, COLUMNS, column_key
from plans.readers.template import write_template
from plans.thai import parse_be_year, parse_number, to_arabic_digits

__all__ = ["parse_spreadsheet", "write_template"]

_STEP_NO = re.compile(r"^(?:ขั้นตอนที่)?\s*([0-9]+(?:\.[0-9]+)*)\.?$")
_MAX_HEADER_SCAN = 10
Cells = list[Any]


def parse_spreadsheet(data: bytes, filename: str) -> list[ParsedProject]:
    """Projects in an uploaded plan spreadsheet, in the order they appear."""
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise PlanFileError("ไฟล์นี้ว่างเปล่า กรุณาตรวจสอบและส่งไฟล์ใหม่",
                            "The file is empty.")  # fmt: skip
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if data.startswith(b"PK\x03\x04") or ext in ("xlsx", "xlsm"):
        rows = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0") or ext == "xls":
        raise PlanFileError(
            "ไฟล์ .xls เป็น Excel รุ่นเก่าที่ระบบอ่านไม่ได้ กรุณาบันทึกเป็น .xlsx หรือ CSV UTF-8",
            "Old .xls files cannot be read; please save as .xlsx or CSV UTF-8.",
        )
    elif ext in ("csv", "txt", "tsv", ""):
        rows = _csv_rows(data)
    else:
        raise PlanFileError(
            f"ระบบอ่านไฟล์ .{ext} ไม่ได้ กรุณาส่งไฟล์ .xlsx หรือ .csv ตามแบบฟอร์ม",
            f"Cannot read .{ext} files; please send the .xlsx or .csv template.",
        )
    return _projects(rows)


def _xlsx_rows(data: bytes) -> list[tuple[int, Cells]]:
    from openpyxl import load_workbook  # heavy: only when a workbook arrives

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike
        raise PlanFileError(
            "เปิดไฟล์ Excel ไม่ได้ ไฟล์อาจเสียหายหรือไม่ใช่ไฟล์ .xlsx กรุณาบันทึกใหม่แล้วส่งอีกครั้ง",
            "The Excel file cannot be opened; it may be damaged or not an .xlsx file.",
        ) from exc
    try:
        best: list[tuple[int, Cells]] = []
        for sheet in book.worksheets:
            rows = [
                (n, [_cell_value(c) for c in row])
                for n, row in enumerate(sheet.iter_rows(), start=1)
            ]
            header = _find_header(rows)
            if header is not None and not _missing(header[1]):
                return rows
            best = best or rows
        return best
    finally:
        book.close()


def _cell_value(cell: Any) -> Any:
    value = cell.value
    fmt = getattr(cell, "number_format", "") or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in fmt:
        percent = Decimal(str(value)) * 100  # a weight typed as 20% is stored as 0.2
        return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else (
            percent.normalize()
        )
    return value


def _csv_rows(data: bytes) -> list[tuple[int, Cells]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlanFileError(
            "ไฟล์ CSV นี้บันทึกเป็น UTF-16 กรุณาบันทึกใหม่เป็น \"CSV UTF-8\"",
            "This CSV is UTF-16; please save it as \"CSV UTF-8\".",
        )
    if b"\x00" in data:
        raise PlanFileError(
            "ไฟล์นี้ไม่ใช่ไฟล์ข้อความ CSV กรุณาส่งไฟล์ .xlsx หรือ .csv ตามแบบฟอร์ม",
            "This is not a CSV text file; please send the .xlsx or .csv template.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanFileError(
            f"ไฟล์ CSV ไม่ได้บันทึกเป็น UTF-8 (พบที่แถวที่ {line}) อาจเป็นภาษาไทยแบบ TIS-620 "
            "กรุณาเปิดใน Excel แล้วบันทึกเป็น \"CSV UTF-8\"",
            f"The CSV is not UTF-8 (row {line}); it may be Thai TIS-620. Please save it as "
            "\"CSV UTF-8\".",
            row=line,
        ) from exc
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(n, list(r)) for n, r in enumerate(reader, start=1)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    return " ".join(str(value).split())


def _find_header(rows: list[tuple[int, Cells]]) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    for number, cells in rows[:_MAX_HEADER_SCAN]:
        found: dict[str, int] = {}
        for col, value in enumerate(cells):
            key = column_key(_text(value)) if value is not None else None
            if key is not None and key not in found:
                found[key] = col
        if found and (best is None or len(found) > len(best[1])):
            best = (number, found)
    return best


def _missing(found: dict[str, int]) -> list[str]:
    return [c.key for c in COLUMNS if c.required and c.key not in found]


@dataclass
class _Draft:
    name: str
    first_row: int
    fields: dict[str, Any] = field(default_factory=dict)
    steps: list[PlanStep] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _projects(rows: list[tuple[int, Cells]]) -> list[ParsedProject]:
    header = _find_header(rows)
    if header is None:
        raise PlanFileError(
            "ไม่พบแถวหัวตาราง (เช่น ชื่อโครงการ, ขั้นตอน, ร้อยละ) กรุณาใช้แบบฟอร์มของระบบ",
            "No header row (such as ชื่อโครงการ, ขั้นตอน, ร้อยละ) was found; please use "
            "the template.",
            row=1,
        )
    header_row, cols = header
    missing = _missing(cols)
    if missing:
        th = ", ".join(BY_KEY[k].thai for k in missing)
        raise PlanFileError(
            f"แถวหัวตาราง (แถวที่ {header_row}) ไม่มีคอลัมน์ {th} กรุณาเพิ่มคอลัมน์นี้",
            f"The header row (row {header_row}) has no column {', '.join(missing)}.",
            row=header_row, column=missing[0],
        )  # fmt: skip
    drafts: dict[str, _Draft] = {}
    carried: dict[str, Any] = {}
    current: _Draft | None = None
    for number, cells in rows:
        if number <= header_row or not any(_text(v) for v in cells):
            continue
        cell = {key: (cells[col] if col < len(cells) else None) for key, col in cols.items()}
        name = _text(cell.get("project"))
        if name or current is None:
            current = drafts.setdefault(name, _Draft(name, number, dict(carried)))
        _read_row(current, number, cell, "step_no" in cols)
        carried = {k: current.fields[k] for k in ("unit", "fiscal_year") if k in current.fields}
    if not drafts:
        raise PlanFileError(
            "ไฟล์มีแต่หัวตาราง ยังไม่มีขั้นตอนของโครงการ",
            "The file has a header row but no steps.", row=header_row,
        )  # fmt: skip
    return [_finish(d) for d in drafts.values()]


def _problem(draft: _Draft, level: ProblemLevel, code: str, th: str, en: str, row: int,
             column: str) -> None:  # fmt: skip
    draft.problems.append(Problem(level, code, th, en, row, column))


def _read_row(draft: _Draft, row: int, cell: dict[str, Any], has_no_column: bool) -> None:
    _read_project_fields(draft, row, cell)
    fy = draft.fields.get("fiscal_year")
    weight_cell = cell.get("weight")
    weight: Decimal | None
    if isinstance(weight_cell, int | float | Decimal) and not isinstance(weight_cell, bool):
        weight = Decimal(str(weight_cell))
    else:
        weight = parse_number(_text(weight_cell))
        if weight is None and _text(weight_cell):
            _problem(draft, "error", "weight_not_a_number",
                     f"แถวที่ {row} คอลัมน์ ร้อยละ: \"{_text(weight_cell)}\" ไม่ใช่ตัวเลข",
                     f"Row {row}, column weight: \"{_text(weight_cell)}\" is not a number.",
                     row, "weight")  # fmt: skip
    months: tuple[YearMonth, ...] = ()
    raw_months = cell.get("months")
    if isinstance(raw_months, datetime | date):
        months = (YearMonth.of(raw_months),)
    elif _text(raw_months):
        try:
            months = tuple(parse_month_span(_text(raw_months), fy))
        except ValueError:
            _problem(draft, "error", "months_unreadable",
                     f"แถวที่ {row} คอลัมน์ ระยะเวลา: อ่านเดือน \"{_text(raw_months)}\" ไม่ได้ "
                     "กรุณาเขียนแบบ \"ต.ค.-ธ.ค. 69\" หรือ \"2026-10..2026-12\"",
                     f"Row {row}, column months: cannot read \"{_text(raw_months)}\"; write "
                     "it like \"ต.ค.-ธ.ค. 69\" or \"2026-10..2026-12\".",
                     row, "months")  # fmt: skip
    if months and fy is None:
        draft.fields["fiscal_year"] = fiscal_year_of(months[0])
    no = _step_no(draft, row, cell.get("step_no"), has_no_column)
    draft.steps.append(PlanStep(no, _text(cell.get("step")), weight, months, row))


def _step_no(draft: _Draft, row: int, value: Any, has_no_column: bool) -> str:
    text = to_arabic_digits(_text(value))
    m = _STEP_NO.match(text)
    if m:
        return m.group(1)
    numbers = [int(s.no.split(".")[0]) for s in draft.steps if s.no.split(".")[0].isdigit()]
    no = str(max(numbers, default=0) + 1)
    if has_no_column:
        _problem(draft, "warning", "step_no_missing",
                 f"แถวที่ {row} ไม่ได้ระบุเลขขั้นตอน (\"{text}\") จึงนับเป็นขั้นตอนที่ {no}",
                 f"Row {row} has no usable step number (\"{text}\"); it was taken as step {no}.",
                 row, "step_no")  # fmt: skip
    return no


def _read_project_fields(draft: _Draft, row: int, cell: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    for key in ("unit", "kpi", "project_code", "responsible"):
        if _text(cell.get(key)):
            values[key] = _text(cell.get(key))
    if _text(cell.get("fiscal_year")):
        fy = parse_be_year(_text(cell.get("fiscal_year")))
        if fy is None:
            _problem(draft, "error", "fiscal_year_unreadable",
                     f"แถวที่ {row} คอลัมน์ ปีงบประมาณ: \"{_text(cell.get('fiscal_year'))}\" "
                     "ไม่ใช่ปี พ.ศ. เช่น 2570",
                     f"Row {row}, column fiscal_year: not a year such as 2570.",
                     row, "fiscal_year")  # fmt: skip
        else:
            values["fiscal_year"] = fy
    if _text(cell.get("budget")):
        budget = parse_number(_text(cell.get("budget")))
        if budget is None:
            _problem(draft, "warning", "budget_unreadable",
                     f"แถวที่ {row} คอลัมน์ งบประมาณ: \"{_text(cell.get('budget'))}\" "
                     "ไม่ใช่ตัวเลข จึงไม่ได้บันทึกงบประมาณ",
                     f"Row {row}, column budget: not a number, so no budget was kept.",
                     row, "budget")  # fmt: skip
        else:
            values["budget"] = budget
    for key, value in values.items():
        known = draft.fields.get(key)
        if known is None or (row == draft.first_row and key in ("unit", "fiscal_year")):
            draft.fields[key] = value
        elif known != value:
            label = BY_KEY[key].thai
            _problem(draft, "warning", "conflicting_value",
                     f"แถวที่ {row} คอลัมน์ {label}: \"{value}\" ต่างจากที่ระบุไว้ก่อนหน้า "
                     f"(\"{known}\") ระบบใช้ค่าเดิม",
                     f"Row {row}, column {key}: \"{value}\" differs from the earlier "
                     f"\"{known}\"; the earlier value is kept.",
                     row, key)  # fmt: skip


def _finish(draft: _Draft) -> ParsedProject:
    f = draft.fields
    return ParsedProject(
        name=draft.name, code=f.get("project_code"), kpi=f.get("kpi"), policy=None,
        unit=f.get("unit"), fiscal_year=f.get("fiscal_year"), budget=f.get("budget"),
        responsible=f.get("responsible"), steps=draft.steps,
        declared_cumulative=[None] * len(draft.steps), declared_total=None,
        problems=draft.problems, source_line=draft.first_row,
    )  # fmt: skip

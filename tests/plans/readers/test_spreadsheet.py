from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from plans.errors import PlanError
from plans.model import ParsedProject, PlanFileError
from plans.readers.columns import COLUMNS, column_key
from plans.readers.spreadsheet import parse_spreadsheet, write_template
from plans.validate import validate

D = Decimal
THAI_HEADER = "หน่วยงาน,ปีงบประมาณ,ชื่อโครงการ,ขั้นตอนที่,ขั้นตอน,ร้อยละ,ระยะเวลา"


def xlsx(rows: list[list[Any]], *, percent_col: int | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if percent_col is not None:
        for cell in sheet.iter_cols(min_col=percent_col, max_col=percent_col, min_row=2):
            for c in cell:
                c.number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    data = "\n".join(lines).encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def summary(p: ParsedProject) -> list[tuple[str, str, str | None, str]]:
    return [
        (s.no, s.title, None if s.weight is None else str(s.weight),
         f"{s.months[0].key}..{s.months[-1].key}" if s.months else "")
        for s in p.steps
    ]  # fmt: skip


# ---- the template ----------------------------------------------------------


def test_template_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "แบบฟอร์มแผน.xlsx"
    write_template(path)
    (project,) = parse_spreadsheet(path.read_bytes(), path.name)
    assert (project.unit, project.fiscal_year, project.code) == (
        "สำนักงานเขตตัวอย่าง", 2570, "50310000-3105"
    )  # fmt: skip
    assert project.budget == D(120000) and project.responsible == "ฝ่ายปกครอง"
    assert summary(project) == [
        ("1", "ขออนุมัติโครงการและจัดทำคำสั่งแต่งตั้งเจ้าหน้าที่", "20", "2026-10..2026-11"),
        ("2", "ดำเนินการฝึกอบรม", "60", "2026-12..2027-03"),
        ("3", "ติดตามประเมินผลและรายงานผลให้กรุงเทพมหานครทราบ", "20", "2027-04..2027-05"),
    ]
    assert validate(project).problems == []


def test_template_has_a_notes_sheet_explaining_every_column(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == ["แผนปฏิบัติงาน", "หมายเหตุ"]
    header = [c.value for c in book["แผนปฏิบัติงาน"][1]]
    assert header == [c.thai for c in COLUMNS]
    notes = {row[0]: row for row in book["หมายเหตุ"].iter_rows(min_row=2, values_only=True)}
    for column in COLUMNS:
        thai, help_th, key, help_en, _ = notes[column.thai]
        assert (key, help_th, help_en) == (column.key, column.help_th, column.help_en)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("ร้อยละ", "weight"), ("weight", "weight"), ("Weight", "weight"),
        ("ร้อยละ (weight)", "weight"), ("เนื้องาน (ร้อยละ)", "weight"),
        ("ขั้นตอนที่", "step_no"), ("step_no", "step_no"), ("Step No", "step_no"),
        ("ขั้นตอน", "step"), ("ชื่อโครงการ/กิจกรรม", "project"), ("project", "project"),
        ("ระยะเวลา", "months"), ("ระยะเวลาดำเนินการ", "months"), ("fiscal_year", "fiscal_year"),
        ("ปีงบประมาณ", "fiscal_year"), ("รหัสโครงการ", "project_code"), ("ตัวชี้วัด", "kpi"),
        ("งบประมาณ", "budget"), ("ผู้รับผิดชอบ", "responsible"), ("หน่วยงาน", "unit"),
        ("หมายเหตุ", None), ("", None),
    ],
)  # fmt: skip
def test_column_headers(header: str, key: str | None) -> None:
    assert column_key(header) == key


# ---- reading ---------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_csv_in_utf8_with_or_without_bom(bom: bool) -> None:
    data = csv_bytes(
        THAI_HEADER,
        "สำนักงานเขตบางซื่อ,2570,โครงการ ก,1,ขออนุมัติ,20,ต.ค.-ธ.ค. 69",
        ',,,2,ดำเนินการ,"2.5",ม.ค. 70 - ก.ค. 70',
        ",,,๓,สรุปผล,๗๗.๕,ส.ค.-ก.ย.",
        bom=bom,
    )
    (project,) = parse_spreadsheet(data, "plan.csv")
    assert (project.name, project.unit, project.fiscal_year) == (
        "โครงการ ก",
        "สำนักงานเขตบางซื่อ",
        2570,
    )
    assert summary(project) == [
        ("1", "ขออนุมัติ", "20", "2026-10..2026-12"),
        ("2", "ดำเนินการ", "2.5", "2027-01..2027-07"),
        ("3", "สรุปผล", "77.5", "2027-08..2027-09"),
    ]
    assert [s.row for s in project.steps] == [2, 3, 4]
    assert validate(project).problems == []


def test_english_headers_semicolons_and_iso_months() -> None:
    data = csv_bytes(
        "project;step;weight;months",
        "Project A;Plan;40;2026-10..2026-12",
        ";Do;60;2027-01",
    )
    (project,) = parse_spreadsheet(data, "plan.CSV")
    assert summary(project) == [
        ("1", "Plan", "40", "2026-10..2026-12"),
        ("2", "Do", "60", "2027-01..2027-01"),
    ]
    assert project.fiscal_year == 2570  # taken from the months
    assert validate(project).problems == []


def test_several_projects_share_unit_and_year_but_not_kpi() -> None:
    rows = [
        ["หน่วยงาน", "ปีงบประมาณ", "ตัวชี้วัด", "ชื่อโครงการ", "ขั้นตอน", "ร้อยละ", "ระยะเวลา"],
        ["เขต ก", 2570, "ตัวชี้วัด 1", "โครงการ 1", "ขั้น ก", 100, "ต.ค. 69"],
        [None, None, None, "โครงการ 2", "ขั้น ข", 50, "พ.ย. 69"],
        [None, None, None, "โครงการ 2", "ขั้น ค", 50.0, "ธ.ค. 69"],
    ]
    one, two = parse_spreadsheet(xlsx(rows), "plan.xlsx")
    assert (one.name, one.kpi, two.name, two.kpi) == ("โครงการ 1", "ตัวชี้วัด 1", "โครงการ 2", None)
    assert (two.unit, two.fiscal_year, two.source_line) == ("เขต ก", 2570, 3)
    assert [s.weight for s in two.steps] == [D(50), D(50)]


def test_title_rows_above_the_header_and_percent_cells() -> None:
    rows = [
        ["แผนปฏิบัติราชการ ประจำปี พ.ศ. 2570"],
        [],
        ["ชื่อโครงการ", "ขั้นตอนที่", "ขั้นตอน", "ร้อยละ", "ระยะเวลา", "หมายเหตุ"],
        ["โครงการ ก", 1, "ขั้น ก", 0.25, datetime(2026, 10, 1), "ไม่สนใจ"],
        ["โครงการ ก", 2.0, "ขั้น ข", 0.75, "พ.ย. 69", None],
    ]
    (project,) = parse_spreadsheet(xlsx(rows, percent_col=4), "plan.xlsx")
    assert summary(project) == [("1", "ขั้น ก", "25", "2026-10..2026-10"),
                                ("2", "ขั้น ข", "75", "2026-11..2026-11")]  # fmt: skip
    assert [s.row for s in project.steps] == [4, 5]
    assert validate(project).problems == []


# ---- problems inside a readable file ---------------------------------------


@pytest.mark.parametrize(
    ("line", "code", "column", "level"),
    [
        ("โครงการ ก,1,ขั้น,ยี่สิบ,ต.ค. 69,2570", "weight_not_a_number", "weight", "error"),
        ("โครงการ ก,1,ขั้น,100,เดือนหน้า,2570", "months_unreadable", "months", "error"),
        ("โครงการ ก,1,ขั้น,100,ต.ค. 69,ปีหน้า", "fiscal_year_unreadable", "fiscal_year", "error"),
        ("โครงการ ก,,ขั้น,100,ต.ค. 69,2570", "step_no_missing", "step_no", "warning"),
    ],
)
def test_bad_cells_become_problems_naming_row_and_column(
    line: str, code: str, column: str, level: str
) -> None:
    data = csv_bytes("ชื่อโครงการ,ขั้นตอนที่,ขั้นตอน,ร้อยละ,ระยะเวลา,ปีงบประมาณ", line)
    (project,) = parse_spreadsheet(data, "plan.csv")
    (problem,) = project.problems
    assert (problem.level, problem.code, problem.row, problem.column) == (level, code, 2, column)
    assert "แถวที่ 2" in problem.message_th and "Row 2" in problem.message_en
    assert [p.code for p in validate(project).problems].count(code) == 1


def test_rows_before_any_project_name_make_a_nameless_project() -> None:
    data = csv_bytes("ชื่อโครงการ,ขั้นตอน,ร้อยละ,ระยะเวลา", ",ขั้น 1,100,ต.ค. 69")
    (project,) = parse_spreadsheet(data, "plan.csv")
    assert project.name == ""
    assert [p.code for p in validate(project).errors] == ["missing_project_name"]


def test_conflicting_project_values_warn_and_keep_the_first() -> None:
    data = csv_bytes(
        "ชื่อโครงการ,ปีงบประมาณ,ขั้นตอน,ร้อยละ",
        "โครงการ ก,2570,ขั้น 1,50",
        "โครงการ ก,2569,ขั้น 2,50",
    )
    (project,) = parse_spreadsheet(data, "plan.csv")
    assert project.fiscal_year == 2570
    assert [(p.level, p.code, p.row, p.column) for p in project.problems] == [
        ("warning", "conflicting_value", 3, "fiscal_year")
    ]


# ---- files that cannot be read ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "row", "column", "words"),
    [
        (b"", "plan.csv", None, None, "ว่างเปล่า"),
        (b"\xef\xbb\xbf \r\n", "plan.csv", None, None, "ว่างเปล่า"),
        (b"\x00\x01\x02binary\x00", "plan.csv", None, None, "ไม่ใช่ไฟล์ข้อความ"),
        ("ชื่อโครงการ,ขั้นตอน,ร้อยละ".encode("utf-16"), "plan.csv", None, None, "UTF-16"),
        ("ชื่อโครงการ,ขั้นตอน,ร้อยละ\nก,ข,1".encode("cp874"), "plan.csv", 1, None, "UTF-8"),
        (b"PK\x03\x04 not really a zip", "plan.xlsx", None, None, "เปิดไฟล์ Excel ไม่ได้"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "plan.xls", None, None, ".xls"),
        (b"%PDF-1.7", "plan.pdf", None, None, ".pdf"),
        ("ชื่อโครงการ,ขั้นตอน\nก,ข".encode(), "plan.csv", 1, "weight", "ร้อยละ"),
        (b"project,weight\nA,100", "plan.csv", 1, "step", "ขั้นตอน"),
        ("ชื่อโครงการ,ขั้นตอน,ร้อยละ".encode(), "plan.csv", 1, None, "ยังไม่มีขั้นตอน"),
        ("วันที่,หมายเหตุ\n1,2".encode(), "plan.csv", 1, None, "หัวตาราง"),
    ],
)  # fmt: skip
def test_unreadable_files_raise_plan_file_error(
    data: bytes, filename: str, row: int | None, column: str | None, words: str
) -> None:
    with pytest.raises(PlanFileError) as caught:
        parse_spreadsheet(data, filename)
    error = caught.value
    assert isinstance(error, PlanError)
    assert (error.row, error.column) == (row, column)
    assert words in error.message_th
    assert error.message_en and str(error) == error.message_en


def test_missing_columns_in_a_workbook_name_the_header_row() -> None:
    rows = [["แผนปี 2570"], ["ชื่อโครงการ", "ร้อยละ"], ["ก", 100]]
    with pytest.raises(PlanFileError) as caught:
        parse_spreadsheet(xlsx(rows), "plan.xlsx")
    assert (caught.value.row, caught.value.column) == (2, "step")
    assert "แถวที่ 2" in caught.value.message_th and "ขั้นตอน" in caught.value.message_th

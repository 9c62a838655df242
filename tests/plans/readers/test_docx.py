"""Plans read straight from Word documents: every marking style, merged headers, two
years in the header, a table split across pages, and the seeds as .docx."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from plans.fiscal import YearMonth
from plans.model import PlanFileError
from plans.readers.docx import DRAWN, SHADED, docx_items, is_docx, parse_docx
from plans.readers.steptable import parse_step_tables
from plans.readers.textrows import Row, split_items
from tests.plans.readers.docx_fixtures import Step, from_items, plan_document

FIXTURES = Path(__file__).parents[2] / "fixtures" / "plans"

STEPS = [
    Step("1", "ประชุมชี้แจงและวางแผน", "10", (0, 1)),  # Oct-Nov 2565
    Step("2", "จัดทำคำสั่งแต่งตั้งคณะทำงาน", "20", (2,)),  # Dec 2565
    Step("3", "ดำเนินการตามแผน", "50", (3, 4, 5, 6, 7)),  # Jan-May 2566
    Step("4", "สรุปและรายงานผล", "20", (10, 11)),  # Aug-Sep 2566
]
EXPECTED_MONTHS = [
    ("2022-10", "2022-11"),
    ("2022-12", "2022-12"),
    ("2023-01", "2023-05"),
    ("2023-08", "2023-09"),
]


def months_of(project) -> list[tuple[str, str]]:
    return [(s.months[0].key, s.months[-1].key) for s in project.steps]


@pytest.mark.parametrize("marking", ["text", "shading", "shape", "vml"])
def test_each_marking_style_gives_the_same_months(marking: str) -> None:
    [project] = parse_docx(plan_document(STEPS, marking=marking))
    assert project.fiscal_year == 2566  # พ.ศ. 256๕ over Oct-Dec, 256๖ over Jan-Sep
    assert [s.no for s in project.steps] == ["1", "2", "3", "4"]
    assert [s.weight for s in project.steps] == [Decimal(10), Decimal(20), Decimal(50), Decimal(20)]
    assert months_of(project) == EXPECTED_MONTHS
    assert project.name == "โครงการทดสอบการอ่านไฟล์ Word (ฝ่ายปกครอง)" and project.responsible == "ฝ่ายปกครอง"
    assert project.unit == "สำนักงานเขตทดสอบ"
    assert not [p for p in project.problems if p.level == "error"]


@pytest.mark.parametrize(("marking", "word"), [("shading", SHADED), ("shape", DRAWN), ("vml", DRAWN)])
def test_the_rows_say_which_marking_was_read(marking: str, word: str) -> None:
    rows = [i for i in docx_items(plan_document(STEPS, marking=marking)) if isinstance(i, Row)]
    step_2 = next(r for r in rows if r.cells[0].startswith("2."))
    assert [i for i, c in enumerate(step_2.cells) if c] == [0, 1, 2, 5]  # Dec, the 3rd month column
    assert step_2.cells[5] == word


def test_merged_header_cells_become_a_cell_and_empty_ones_as_in_copied_text() -> None:
    rows = [i for i in docx_items(plan_document(STEPS)) if isinstance(i, Row)]
    header, years, months = rows[0], rows[1], rows[2]
    assert len(header.cells) == len(years.cells) == len(months.cells) == 15
    assert header.cells[3] == "ระยะเวลาดำเนินการ" and header.cells[4:] == ("",) * 11
    assert years.cells[:3] == ("", "", "")  # the vertical merge continues: empty, as copied text has it
    assert (years.cells[3], years.cells[6]) == ("พ.ศ. 256๕", "พ.ศ. 256๖")


def test_a_table_split_across_pages_is_one_project() -> None:
    [project] = parse_docx(plan_document(STEPS, marking="shading", split_after=2))
    assert [s.no for s in project.steps] == ["1", "2", "3", "4"]
    assert months_of(project) == EXPECTED_MONTHS


def test_a_shape_outside_the_month_columns_marks_nothing() -> None:
    import docx as python_docx

    from tests.plans.readers.docx_fixtures import arrow

    document = python_docx.Document(__import__("io").BytesIO(plan_document(STEPS[:1], marking="text")))
    table = document.tables[0]
    arrow(table.cell(3, 0), offset_twips=100, width_twips=1000)  # under the title only
    from tests.plans.readers.docx_fixtures import save

    rows = [i for i in docx_items(save(document)) if isinstance(i, Row)]
    assert DRAWN not in rows[3].cells


@pytest.mark.parametrize("marks", ["text", "shading"])
def test_seed_003_as_a_word_document_has_the_same_months(marks: str) -> None:
    text = (FIXTURES / "seed_003.txt").read_text(encoding="utf-8")
    from_text = parse_step_tables(text)
    from_docx = parse_docx(from_items(split_items(text), marks=marks))
    assert [p.name for p in from_docx] == [p.name for p in from_text]
    for a, b in zip(from_docx, from_text, strict=True):
        assert [(s.no, s.weight, s.months) for s in a.steps] == [(s.no, s.weight, s.months) for s in b.steps]
        if marks == "text":  # shading has no arrow heads, so no "closing arrow only" warning
            assert [p.code for p in a.problems] == [p.code for p in b.problems]
    if marks == "shading":  # a problem about a month says how that month was read
        about_months = [p for project in from_docx for p in project.problems if p.code == "mark_past_last_month"]
        assert about_months and all("จากการแรเงาช่อง" in p.message_th for p in about_months)
    assert any(s.months for p in from_docx for s in p.steps)


def test_seed_000_as_a_word_document_imports_as_its_text_does() -> None:
    text = (FIXTURES / "seed_000.txt").read_text(encoding="utf-8")
    from_text = parse_step_tables(text, unit="เขตบางซื่อ")
    from_docx = parse_docx(from_items(split_items(text)), unit="เขตบางซื่อ")
    assert [(p.name, [s.weight for s in p.steps]) for p in from_docx] == [
        (p.name, [s.weight for s in p.steps]) for p in from_text
    ]


def test_is_docx_looks_inside_the_zip() -> None:
    assert is_docx(plan_document(STEPS))
    import io

    from openpyxl import Workbook

    book = io.BytesIO()
    Workbook().save(book)
    assert not is_docx(book.getvalue()) and not is_docx(b"plain text")


def test_a_broken_word_file_is_a_polite_error() -> None:
    with pytest.raises(PlanFileError) as caught:
        parse_docx(b"PK\x03\x04 not really a zip")
    assert "Word" in caught.value.message_th and ".docx" in caught.value.message_en


def test_a_document_names_its_year_and_months_when_copied_text_could_not() -> None:
    [project] = parse_docx(plan_document(STEPS, marking="shading"))
    assert project.steps[0].months == (YearMonth(2022, 10), YearMonth(2022, 11))

"""Every plan layout the units use, each a fixture written in the style of the seeds,
read as copied text and as a Word document built from the same rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.plans import read_plan
from plans.model import ParsedProject
from plans.readers.steptable import parse_step_tables
from plans.readers.textrows import split_items
from plans.validate import validate
from tests.plans.readers.docx_fixtures import from_items
from tests.plans.readers.sheet_fixtures import csv_from_items, workbook_from_items

MONTHS = "ต.ค.\tพ.ย.\tธ.ค.\tม.ค.\tก.พ.\tมี.ค.\tเม.ย.\tพ.ค.\tมิ.ย.\tก.ค.\tส.ค.\tก.ย."
HEADER = "ขั้นตอนการปฏิบัติงานของ โครงการ/กิจกรรม\tเนื้องาน รายขั้นตอน (ร้อยละ)\tคิดความก้าวหน้า โครงการ (ร้อยละ)\tระยะเวลาดำเนินการ"
YEARS = "\t\t\tพ.ศ. 256๕\t\t\tพ.ศ. 256๖"
STEPS = (
    "1. ประชุมคณะทำงาน\t20\t20\t←\t→\t\t\t\t\t\t\t\t\t\t",
    "2. ดำเนินการตามแผน\t60\t80\t\t\t←\t\t\t\t\t→\t\t\t\t",
    "3. สรุปผลและรายงาน\t20\t100\t\t\t\t\t\t\t\t\t\t\t←\t→",
    "รวม\t100\t100",
)
EXPECTED = [("1", "2022-10", "2022-11"), ("2", "2022-12", "2023-05"), ("3", "2023-08", "2023-09")]


def table(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def standard(heading: tuple[str, ...], *, header: tuple[str, ...] = (HEADER, YEARS, f"\t\t\t{MONTHS}"),
             steps: tuple[str, ...] = STEPS) -> str:  # fmt: skip
    return table(*heading, *header, *steps)


FIXTURES = {
    "label and value on one line": standard(
        ("ชื่อตัวชี้วัด ร้อยละความสำเร็จของการดำเนินงาน", "ชื่อโครงการ โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)")
    ),
    "value on the line after the label": standard(
        ("ชื่อตัวชี้วัด", "ร้อยละความสำเร็จของการดำเนินงาน", "ชื่อโครงการ", "โครงการพัฒนาระบบงาน", "(ฝ่ายปกครอง)")
    ),
    "numbered labels": standard(
        ("ชื่อตัวชี้วัดที่ 1 ร้อยละความสำเร็จของการดำเนินงาน",
         "ชื่อโครงการ/กิจกรรมที่ 2 โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)")  # fmt: skip
    ),
    "sub-numbered KPI label": standard(
        ("ตัวชี้วัดที่ 1.1 ร้อยละความสำเร็จของการดำเนินงาน", "ชื่อโครงการ : โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)")
    ),
    "separate step-number column": table(
        "ชื่อตัวชี้วัด ร้อยละความสำเร็จของการดำเนินงาน",
        "ชื่อโครงการ โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)",
        "ขั้นตอนที่\tขั้นตอนการปฏิบัติงาน\tเนื้องาน (ร้อยละ)\tคิดความก้าวหน้าโครงการ (ร้อยละ)\tระยะเวลาดำเนินการ",
        "\t\t\t\tพ.ศ. 256๕\t\t\tพ.ศ. 256๖",
        f"\t\t\t\t{MONTHS}",
        *("\t".join([s.split(". ", 1)[0], s.split(". ", 1)[1]]) if s[0].isdigit() else "\t" + s for s in STEPS),
    ),
    "header split over three rows, years as 2565 / 2566": table(
        "ชื่อตัวชี้วัด ร้อยละความสำเร็จของการดำเนินงาน",
        "ชื่อโครงการ โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)",
        "ขั้นตอนการ\t\tคิดความ\tระยะเวลาดำเนินการ",
        "ปฏิบัติงาน\tเนื้องาน\tก้าวหน้า",
        "ของโครงการ\t(ร้อยละ)\t(ร้อยละ)",
        "\t\t\t2565 / 2566",
        f"\t\t\t{MONTHS}",
        *STEPS,
    ),
    "fiscal year written as ปีงบประมาณ พ.ศ.": standard(
        ("ชื่อตัวชี้วัด ร้อยละความสำเร็จของการดำเนินงาน", "ชื่อโครงการ โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)"),
        header=(HEADER, "\t\t\tปีงบประมาณ พ.ศ. 2566", f"\t\t\t{MONTHS}"),
    ),
}


def read(text: str, as_: str) -> list[ParsedProject]:
    """The fixture as copied text, as a Word document, as a workbook (months written, or
    shaded) and as CSV, each through the importer's own choice of reader."""
    items = split_items(text)
    data, name = {
        "text": (text.encode(), "plan.txt"),
        "docx": (from_items(items), "plan.docx"),
        "xlsx": (workbook_from_items(items), "plan.xlsx"),
        "xlsx shaded": (workbook_from_items(items, marks="shading"), "plan.xlsx"),
        "csv": (csv_from_items(items), "plan.csv"),
    }[as_]
    return [validate(p) for p in read_plan(data, name)]


FORMS = ["text", "docx", "xlsx", "xlsx shaded", "csv"]


@pytest.mark.parametrize("as_", FORMS)
@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_each_layout_reads_the_same_project(rule: str, as_: str) -> None:
    [project] = read(FIXTURES[rule], as_)
    assert project.name == "โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)" and project.responsible == "ฝ่ายปกครอง"
    assert project.kpi == "ร้อยละความสำเร็จของการดำเนินงาน"
    assert project.fiscal_year == 2566
    assert [(s.no, s.months[0].key, s.months[-1].key) for s in project.steps] == EXPECTED
    assert [s.title for s in project.steps] == ["ประชุมคณะทำงาน", "ดำเนินการตามแผน", "สรุปผลและรายงาน"]
    assert [s.weight for s in project.steps] == [Decimal(20), Decimal(60), Decimal(20)]
    assert project.errors == [], project.errors


FRONT_MATTER = table(
    "# แผนปฏิบัติราชการประจำปี พ.ศ. 2566",
    "สำนักงานเขตทดสอบ",
    "## คำนำ",
    "แผนปฏิบัติราชการฉบับนี้จัดทำขึ้นเพื่อเป็นกรอบการดำเนินงานของหน่วยงาน ชื่อโครงการต่าง ๆ อยู่ในภาคผนวก",
    "## สารบัญ",
    "■ คำนำ\tก",
    "■ ขั้นตอนการปฏิบัติงานของโครงการ/กิจกรรม\t30",
    "## การวิเคราะห์สภาพแวดล้อม (SWOT)",
    "จุดแข็ง (Strengths)\tจุดอ่อน (Weaknesses)",
    "บุคลากรมีประสบการณ์\tงบประมาณจำกัด",
    "## ตัวชี้วัดและค่าเป้าหมาย",
    "ลำดับ\tตัวชี้วัด\tค่าเป้าหมาย\tหน่วยงานรับผิดชอบ",
    "1\tร้อยละความสำเร็จของการดำเนินงาน\t100\tฝ่ายปกครอง",
    "## มาตรการและงบประมาณ",
    "มาตรการ/แนวทาง\tงบประมาณ (บาท)\tระยะเวลาดำเนินการ",
    f"\t\t{MONTHS}",
    "1. จัดซื้อวัสดุ\t50,000\t←\t→",
    "## ขั้นตอนการปฏิบัติงาน",
)


@pytest.mark.parametrize("as_", FORMS)
def test_front_matter_and_tables_that_are_not_step_plans_are_never_projects(as_: str) -> None:
    text = FRONT_MATTER + FIXTURES["label and value on one line"]
    [project] = read(text, as_)
    assert project.name == "โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)"
    assert project.unit == "สำนักงานเขตทดสอบ"


@pytest.mark.parametrize("as_", FORMS)
def test_an_empty_weight_is_rejected_naming_the_step(as_: str) -> None:
    steps = (STEPS[0], "2. ดำเนินการตามแผน\t\t80\t\t\t←\t\t\t\t\t→", STEPS[2], STEPS[3])
    text = standard(("ชื่อโครงการ โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)",), steps=steps)
    [project] = read(text, as_)
    missing = [p for p in project.errors if p.code == "missing_weight"]
    assert len(missing) == 1 and "ขั้นตอนที่ 2" in missing[0].message_th
    [spread] = [validate(p, equal_weights=True) for p in parse_step_tables(text)]
    assert not [p for p in spread.errors if p.code == "missing_weight"]


@pytest.mark.parametrize("as_", FORMS)
def test_a_running_total_that_contradicts_the_weights_is_a_warning_naming_the_rows(as_: str) -> None:
    steps = (STEPS[0], STEPS[1].replace("\t60\t80\t", "\t60\t70\t"), STEPS[2], STEPS[3])
    text = standard(("ชื่อโครงการ โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)",), steps=steps)
    [project] = read(text, as_)
    [warning] = [p for p in project.warnings if p.code == "cumulative_mismatch"]
    assert "2" in warning.message_th and project.errors == []
    assert [s.weight for s in project.steps] == [Decimal(20), Decimal(60), Decimal(20)]  # weights used


@pytest.mark.parametrize("as_", FORMS)
def test_an_unnamed_project_quotes_the_lines_where_the_name_was_expected(as_: str) -> None:
    text = standard(("ชื่อตัวชี้วัด ร้อยละความสำเร็จของการดำเนินงาน", "โครงการพัฒนาระบบงานที่ลืมใส่ป้ายชื่อ"))
    [project] = read(text, as_)
    [problem] = [p for p in project.errors if p.code == "missing_project_name"]
    assert "“โครงการพัฒนาระบบงานที่ลืมใส่ป้ายชื่อ”" in problem.message_th
    assert "โครงการพัฒนาระบบงานที่ลืมใส่ป้ายชื่อ" in problem.message_en


@pytest.mark.parametrize("as_", FORMS)
def test_a_budget_table_laid_out_like_a_plan_is_rejected_as_not_a_step_table(as_: str) -> None:
    budget = table(
        "ชื่อโครงการ โครงการจัดซื้อครุภัณฑ์สำนักงาน (ฝ่ายการคลัง)",
        "รายการ\tงบประมาณ (บาท)\tระยะเวลาเบิกจ่าย",
        f"\t\t{MONTHS}",
        "1. เครื่องคอมพิวเตอร์\t250,000\t←\t→",
        "2. เครื่องพิมพ์\t50,000\t\t\t←→",
    )
    text = budget + FIXTURES["label and value on one line"]
    rejected, project = read(text, as_)
    assert rejected.name == "โครงการจัดซื้อครุภัณฑ์สำนักงาน (ฝ่ายการคลัง)" and rejected.steps == []
    assert "not_a_step_table" in {p.code for p in rejected.errors}
    [problem] = [p for p in rejected.errors if p.code == "not_a_step_table"]
    assert "งบประมาณ (บาท)" in problem.message_th
    assert project.name == "โครงการพัฒนาระบบงาน (ฝ่ายปกครอง)" and project.errors == []

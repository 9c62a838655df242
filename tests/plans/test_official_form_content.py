"""The form's content beyond 002's layout: the responsible person's phone, a budget
that is never "- บาท", the reason kept for a lower percent, the two verdicts explained
where they differ, the KPI's target, and the quarters the ministry scores by."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from plans.fiscal import YearMonth
from plans.model import PlanStep
from plans.official_form import (
    BEHIND_BUT_ON_TARGET,
    ON_PLAN_NOT_ON_TARGET,
    ProjectSheet,
    ReportEntry,
    budget_text,
    form_json,
    kpi_target_of,
    official_report,
    quarterly,
)

OCT_TO_DEC = tuple(YearMonth(2022, m) for m in (10, 11, 12))
JAN_TO_SEP = tuple(YearMonth(2023, m) for m in range(1, 10))
SHEET = ProjectSheet(
    name="โครงการทดสอบ", code="50310000-0001", fiscal_year=2566, starts_on=date(2022, 10, 1),
    ends_on=date(2023, 9, 30), budget=Decimal(50000), unit_path="สำนักงานเขตบางซื่อ/ฝ่ายปกครอง",
    responsible="นางสาวอรนิชา ศาลิคุปต์", kpi="ร้อยละความสำเร็จ มีคะแนนไม่น้อยกว่า ระดับ AA (95.00 คะแนน)",
    phone="02-587-0001", steps=(PlanStep("1", "เตรียมการ", Decimal(25), OCT_TO_DEC),
                                PlanStep("2", "ดำเนินการ", Decimal(75), JAN_TO_SEP)),
)  # fmt: skip


def entry(number: int, day: date, percent: str, **extra: object) -> ReportEntry:
    base = ReportEntry(number=number, reported_on=day, work_done="ดำเนินการ", percent=Decimal(percent),
                       budget_disbursed=Decimal(1000), obstacles=None, on_plan=True, on_target=True)  # fmt: skip
    return replace(base, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(("budget", "shown"), [(Decimal(50000), "50,000 บาท"), (Decimal(0), "ไม่ได้รับงบประมาณ"), (None, "")])
def test_the_budget_received_is_an_amount_none_or_blank(budget: Decimal | None, shown: str) -> None:
    assert budget_text(budget) == shown
    form = official_report(replace(SHEET, budget=budget), [])
    assert f"งบประมาณที่ได้รับ : {shown}".rstrip() in form.split("\n") and "- บาท" not in form


def test_responsible_person_with_phone_and_the_kpi_target() -> None:
    form = official_report(SHEET, []).split("\n")
    assert "ชื่อผู้รับผิดชอบ : นางสาวอรนิชา ศาลิคุปต์ โทร. 02-587-0001" in form
    assert "ค่าเป้าหมาย : ไม่น้อยกว่า ระดับ AA (95.00 คะแนน)" in form
    assert "ผลการดำเนินงานตามตัวชี้วัด : 95.52 คะแนน" in official_report(replace(SHEET, kpi_value="95.52 คะแนน"), [])
    assert kpi_target_of("ระดับความสำเร็จของการจัดงาน") is None


def test_a_lower_percent_keeps_its_reason_and_differing_verdicts_are_explained() -> None:
    entries = [
        entry(1, date(2022, 11, 20), "20"),
        entry(2, date(2022, 12, 20), "15", reason="นับซ้ำในรายงานครั้งก่อน", on_plan=False, on_target=True),
        entry(3, date(2023, 8, 20), "60", on_plan=True, on_target=False),
    ]
    form = official_report(SHEET, entries).split("\n")
    assert "เหตุผลที่ความก้าวหน้าลดลง : นับซ้ำในรายงานครั้งก่อน" in form
    at = form.index(": ไม่เป็นไปตามแผน")
    assert form[at + 1 : at + 3] == [": เป็นไปตามเป้าหมาย", BEHIND_BUT_ON_TARGET]
    assert ON_PLAN_NOT_ON_TARGET in form
    assert form.count(BEHIND_BUT_ON_TARGET) == 1  # only where the two verdicts differ


def test_quarters_show_the_plan_and_the_latest_percent_by_their_end() -> None:
    entries = [entry(1, date(2022, 11, 20), "20"), entry(2, date(2023, 2, 10), "40")]
    q = quarterly(SHEET, entries, date(2023, 2, 15))
    assert [p.label for p in q] == ["ไตรมาส 1 (ต.ค. 65–ธ.ค. 65)", "ไตรมาส 2 (ม.ค. 66–มี.ค. 66)",
                                    "ไตรมาส 3 (เม.ย. 66–มิ.ย. 66)", "ไตรมาส 4 (ก.ค. 66–ก.ย. 66)"]  # fmt: skip
    assert [p.planned for p in q] == [Decimal(25), Decimal(50), Decimal(75), Decimal(100)]
    assert [p.actual for p in q] == [Decimal(20), Decimal(40), None, None]  # Q3 has not begun
    data = form_json(SHEET, entries, on=date(2023, 2, 15))
    assert data["quarters"][1] == {"label": "ไตรมาส 2 (ม.ค. 66–มี.ค. 66)", "first_month": "2023-01",
                                   "last_month": "2023-03", "planned_percent": 50, "actual_percent": 40}  # fmt: skip
    assert len(data["months"]) == 12 and data["responsible"] == {"name": SHEET.responsible, "phone": "02-587-0001"}

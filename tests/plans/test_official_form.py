"""The official progress report form, laid out as the seed report (002) is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.render import utf16_len
from handlers.export import split_for_line
from plans.official_form import ProjectSheet, ReportEntry, official_report, thai_slash_date

ITA = ProjectSheet(
    name="กิจกรรมการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA)",
    code="50310000-2961", fiscal_year=2566, starts_on=date(2022, 10, 1), ends_on=date(2023, 9, 30),
    budget=Decimal(0), unit_path="สำนักงานเขตบางซื่อ/ฝ่ายปกครอง", responsible="ฝ่ายปกครอง",
    kpi="ระดับความสำเร็จของการประเมิน ITA",
)  # fmt: skip


def entry(number: int, day: date, percent: str, text: str, **flags) -> ReportEntry:
    return ReportEntry(number=number, reported_on=day, work_done=text, percent=Decimal(percent),
                       budget_disbursed=Decimal(0), obstacles=None,
                       on_plan=flags.get("on_plan", True), on_target=flags.get("on_target", True))  # fmt: skip


def test_the_form_reads_like_the_units_own_report() -> None:
    form = official_report(ITA, [
        entry(9, date(2023, 8, 24), "95", "อยู่ระหว่างดำเนินการตรวจสอบและประเมินผลคะแนน"),
        entry(10, date(2023, 9, 7), "100", "คะแนนรวม ITA 2566 ได้ 95.52 คะแนน"),
    ])  # fmt: skip
    assert form.startswith("**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****")
    for line in (
        "รหัสโครงการ : 50310000-2961",
        "ปีงบประมาณ พ.ศ. : 2566",
        "เริ่มต้นโครงการ : 01/10/2565",
        "สิ้นสุดโครงการ : 30/09/2566",
        "หน่วยงานที่รับผิดชอบ : สำนักงานเขตบางซื่อ / ฝ่ายปกครอง",
        "รายงานครั้งที่9 :: 24/08/2566 : อยู่ระหว่างดำเนินการตรวจสอบและประเมินผลคะแนน",
        ":: ความก้าวหน้าของงานฯ = 95.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 9) = 0 บาท",
        ":: ความก้าวหน้าของงานฯ = 100.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 10) = 0 บาท",
        ": เป็นไปตามแผน",
        ": เป็นไปตามเป้าหมาย",
    ):
        assert line in form.split("\n"), line


def test_flags_that_are_not_met_or_not_known_say_so() -> None:
    form = official_report(ITA, [entry(1, date(2023, 1, 16), "10", "เริ่ม", on_plan=False, on_target=None)])
    assert ": ไม่เป็นไปตามแผน" in form and ": ยังประเมินเป้าหมายไม่ได้" in form
    assert "ยังไม่มีรายงานความก้าวหน้า" in official_report(ITA, [])


def test_dates_are_day_month_buddhist_year() -> None:
    assert thai_slash_date(date(2023, 1, 16)) == "16/01/2566"


def test_a_long_form_is_split_between_lines_within_line_limits() -> None:
    entries = [entry(n, date(2023, 1, 16), "10", "ผลการดำเนินงาน " * 120) for n in range(1, 40)]
    parts = split_for_line(official_report(ITA, entries), suffix="\n(ฉบับเต็ม: kaona export)")
    assert len(parts) == 5
    assert all(utf16_len(part) <= 5000 for part in parts)
    assert parts[-1].endswith("(ฉบับเต็ม: kaona export)")
    short = split_for_line(official_report(ITA, entries[:2]), suffix="x")
    assert len(short) == 1 and not short[0].endswith("x")

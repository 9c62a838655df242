"""The step-table reader against the real seed plans (copied into
tests/fixtures/plans) and small synthetic tables for each layout rule.

For every seed project the test pins what a careful reader would write down:
name, KPI, policy, responsible section, the "รวม" row, every step's number,
title (prefix), weight, running total and months, and the problems reported
after validation.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

from plans.fiscal import YearMonth
from plans.model import ParsedProject
from plans.readers.heading import document_unit
from plans.readers.steptable import parse_step_tables
from plans.validate import validate

FIXTURES = Path(__file__).parents[2] / "fixtures" / "plans"
SHARED_SEEDS = Path(__file__).parents[3].parent / "shared" / "seeds"
SAMPLE = Path(__file__).parents[3] / "bot" / "samples" / "sample_plan.txt"


class Expect(NamedTuple):
    line: int
    name: str
    kpi: str | None
    policy: str | None
    responsible: str | None
    total: tuple[str | None, str | None]  # the "รวม" row: weight cell, running-total cell
    steps: list[tuple[str, str, str, str, str]]  # no, title prefix, weight, running, months
    problems: list[tuple[str, str, int]]  # level, code, row (after validate)


def months_text(months: tuple[YearMonth, ...]) -> str:
    if not months:
        return ""
    if len(months) == 1:
        return months[0].key
    return f"{months[0].key}..{months[-1].key}"


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


SEED_000 = [
    Expect(
        line=5,
        name=(
            "กิจกรรมการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ "
            "(Integrity and Transparency Assessment : ITA) มีคะแนนไม่น้อยกว่า ระดับ AA "
            "(ฝ่ายปกครอง)"
        ),
        kpi=(
            "ร้อยละความสำเร็จของการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ "
            "(Integrity and Transparency Assessment : ITA) มีคะแนนไม่น้อยกว่า ระดับ AA "
            "(95.00 คะแนน) (ตัวชี้วัดเจรจาตกลง ปีงบประมาณ พ.ศ. 2566)"
        ),
        policy=(
            "มิติ บริหารจัดการดี นโยบาย เปิดเผยข้อมูลการจัดซื้อจัดจ้างครอบคลุมทั้งของ กทม.และกรุงเทพธนาคม (ข้อ 53)"
        ),
        responsible="ฝ่ายปกครอง",
        total=("100", None),
        steps=[
            ("1.1", "เตรียมการประเมิน: ประช", "5", "5", ""),
            ("1.2", "เตรียมการประเมิน: ชี้แ", "5", "10", ""),
            ("2.1", "ดำเนินการตามตัวชี้วัด:", "40", "50", ""),
            ("2.2", "ดำเนินการตามตัวชี้วัด:", "40", "90", ""),
            ("3", "สรุปผลการประเมิน: ตรวจ", "5", "95", ""),
            ("4", "ประกาศผลคะแนน", "5", "100", ""),
        ],
        problems=[
            ("warning", "no_monthly_plan", 5),
        ],
    ),
    Expect(
        line=133,
        name=("ค่าใช้จ่ายในการฝึกอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน (หลักสูตรทบทวน) (ฝ่ายปกครอง)"),
        kpi="ร้อยละความสำเร็จของการดำเนินงานตามภารกิจ/โครงการงานประจำ ของสำนักงานเขต",
        policy="มิติ ปลอดภัยดี นโยบาย พัฒนาหลักสูตรและการฝึกอบรมให้ผู้ปฏิบัติงานสาธารณภัย",
        responsible="ฝ่ายปกครอง",
        total=("100", None),
        steps=[
            ("1", "ขออนุมัติโครงการ", "5", "5", ""),
            ("2", "จัดทำคำสั่งแต่งตั้งเจ้", "10", "15", ""),
            ("3", "จัดทำประกาศรับสมัครให้", "10", "25", ""),
            ("4", "ขอรับการสนับสนุนวิทยาก", "10", "35", ""),
            ("5", "กำหนดขอบเขตวิชาฝึกอบรม", "20", "55", ""),
            ("6", "ดำเนินการฝึกอบรม", "35", "90", ""),
            ("7", "รายงานผลการฝึกอบรมให้ก", "10", "100", ""),
        ],
        problems=[
            ("warning", "no_monthly_plan", 133),
        ],
    ),
    Expect(
        line=302,
        name="ค่าใช้จ่ายเกี่ยวกับการสนับสนุนกิจการอาสาสมัครป้องกันภัยฝ่ายพลเรือน (ฝ่ายปกครอง)",
        kpi="ร้อยละความสำเร็จของการดำเนินงานตามภารกิจ/โครงการงานประจำ ของสำนักงานเขต",
        policy=None,
        responsible="ฝ่ายปกครอง",
        total=("100", None),
        steps=[
            ("1", "ขออนุมัติโรงการและแผนฯ", "10", "10", ""),
            ("2", "ปฏิบัติงานตามแผนฯ", "80", "90", ""),
            ("3", "ประเมินผลโครงการฯ", "10", "100", ""),
        ],
        problems=[
            ("warning", "no_monthly_plan", 302),
        ],
    ),
    Expect(
        line=403,
        name=("ค่าใช้จ่ายอาสาสมัครกรุงเทพมหานครด้านการป้องกันและแก้ไขปัญหายาและสารเสพติด (ฝ่ายปกครอง)"),
        kpi=(
            "ร้อยละของผู้เข้าร่วมอบรมอาสาสมัครกรุงเทพมหานครด้านการป้องกันและแก้ไขปัญหายาเสพติดมีความรู้ตามเกณฑ์ที่กำหนด"
        ),
        policy=None,
        responsible="ฝ่ายปกครอง",
        total=("100", "85"),
        steps=[
            ("1", "เสนอขออนุมัติโครงการแล", "10", "10", ""),
            ("2", "ประชาสัมพันธ์กิจกรรมแล", "10", "20", ""),
            ("3", "ดำเนินการจัดกิจกรรมตาม", "10", "30", ""),
            ("4", "ดำเนินการเบิกจ่ายงบประ", "20", "50", ""),
            ("5", "ติดตามและประเมินผล", "10", "60", ""),
            ("6", "รายงานผลการดำเนินงาน", "15", "75", ""),
        ],
        problems=[
            ("error", "weights_not_100", 403),
            ("error", "total_row_mismatch", 403),
            ("error", "total_row_cumulative_mismatch", 403),
            ("warning", "no_monthly_plan", 403),
        ],
    ),
]
SEED_003 = [
    Expect(
        line=603,
        name=(
            "โครงการสัมมนาเพื่อจัดทำร่างแผนการตรวจราชการของกรุงเทพมหานคร ประจำปีงบประมาณ "
            "พ.ศ. 2567 (ฝ่ายวิเคราะห์และประเมินผล)"
        ),
        kpi=(
            "ร้อยละความสำเร็จในการจัดโครงการสัมมนาเพื่อจัดทำร่างแผนการตรวจราชการของกรุงเทพมหานคร "
            "ประจำปีงบประมาณ พ.ศ. 2567"
        ),
        policy=("มิติ : บริหารจัดการดี นโยบาย : พัฒนาแพลตฟอร์มรับฟังความคิดเห็นของประชาชนเกี่ยวกับนโยบาย"),
        responsible="ฝ่ายวิเคราะห์และประเมินผล",
        total=("100", "100"),
        steps=[
            ("1", "ประชุมหารือผู้เกี่ยวข้", "20", "20", "2022-10"),
            ("2", "ขออนุมัติเงินประจำงวดแ", "20", "40", "2023-05"),
            ("3", "ประสานหน่วยงาน/ส่วนราช", "20", "60", "2023-05"),
            ("4", "ดำเนินการจัดการสัมมนา", "20", "80", "2023-07"),
            ("5", "ติดตามความก้าวหน้า ประ", "20", "100", "2023-05..2023-09"),
        ],
        problems=[],
    ),
    Expect(
        line=622,
        name=("กิจกรรมการตรวจราชการแบบบูรณาการตามนโยบายผู้ว่าราชการกรุงเทพมหานคร (กลุ่มงานช่วยผู้ตรวจราชการ)"),
        kpi="ระดับความสำเร็จในการตรวจราชการแบบบูรณาการตามนโยบายผู้ว่าราชการกรุงเทพมหานคร",
        policy="มิติ : บริหารจัดการดี นโยบาย : พัฒนาข้อมูลเมือง ต่อยอดสู่การแก้ไขปัญหา",
        responsible="กลุ่มงานช่วยผู้ตรวจราชการ",
        total=("100", "100"),
        steps=[
            ("1", "จัดทำคู่มือ หรือแนวทาง", "20", "20", "2023-04..2023-05"),
            ("2", "เจ้าหน้าที่สนับสนุนการ", "20", "40", "2023-09"),
            ("3", "จัดเตรียมข้อมูล/องค์คว", "20", "60", "2023-06..2023-07"),
            ("4", "จัดทำสรุปรายงานผลการตร", "20", "80", ""),
            ("5", "จัดทำสรุปผลการดำเนินงา", "20", "100", "2023-09"),
        ],
        problems=[
            ("warning", "closing_arrow_only", 630),
            ("warning", "closing_arrow_only", 633),
            ("warning", "step_without_months", 632),
        ],
    ),
    Expect(
        line=638,
        name=(
            "กิจกรรมการวิเคราะห์/ประมวลผลข้อมูลตามประเด็นการตรวจราชการแบบบูรณาการ (ฝ่ายวิเคราะห์และประเมินผล)"
        ),
        kpi="ระดับความสำเร็จในการวิเคราะห์/ประมวลผลข้อมูลตามประเด็นการตรวจราชการแบบบูรณาการ",
        policy="มิติ : บริหารจัดการดี นโยบาย : พัฒนาข้อมูลเมือง ต่อยอดสู่การแก้ไขปัญหา",
        responsible="ฝ่ายวิเคราะห์และประเมินผล",
        total=("100", "100"),
        steps=[
            ("1", "เก็บรวบรวมข้อมูลที่เกี", "20", "20", "2022-10"),
            ("2", "ศึกษา วิเคราะห์ข้อมูลใ", "20", "40", "2023-05..2023-06"),
            ("3", "พัฒนาชุดข้อมูลสำหรับกา", "20", "60", "2023-07..2023-08"),
            ("4", "ประมวลผลและนำเสนอข้อมู", "20", "80", "2023-09"),
            ("5", "จัดทำเป็นข้อมูลเปิดศัก", "20", "100", "2023-09"),
        ],
        problems=[
            ("warning", "mark_past_last_month", 648),
            ("warning", "mark_past_last_month", 649),
        ],
    ),
    Expect(
        line=654,
        name=(
            "กิจกรรมการจัดทำฐานข้อมูลเรื่องลับ เรื่องร้องเรียน ของผู้ตรวจราชการกรุงเทพมหานคร (ฝ่ายบริหารงานทั่วไป)"
        ),
        kpi=("ระดับความสำเร็จในการจัดทำฐานข้อมูลเรื่องลับ เรื่องร้องเรียน ของผู้ตรวจราชการกรุงเทพมหานคร"),
        policy="มิติ : บริหารจัดการดี นโยบาย : พัฒนาข้อมูลเมือง ต่อยอดสู่การแก้ไขปัญหา",
        responsible="ฝ่ายบริหารงานทั่วไป",
        total=("100", "100"),
        steps=[
            ("1", "ศึกษาและรวบรวมข้อมูลที", "20", "20", "2022-10..2023-09"),
            ("2", "วิเคราะห์และออกแบบระบบ", "20", "40", "2023-02..2023-05"),
            ("3", "จัดทำฐานข้อมูล และบริห", "20", "60", "2023-05..2023-06"),
            ("4", "นำเข้าข้อมูลในฐานข้อมู", "20", "80", "2023-06..2023-09"),
            ("5", "ผู้ใช้งานฐานข้อมูลเรื่", "20", "100", "2023-09"),
        ],
        problems=[],
    ),
    Expect(
        line=670,
        name=("กิจกรรมการมีส่วนร่วมของประชาชนในการตรวจราชการเชิงพื้นที่ (ฝ่ายอำนวยการตรวจราชการ)"),
        kpi="ระดับความสำเร็จของการมีส่วนร่วมของประชาชนในการตรวจราชการเชิงพื้นที่",
        policy=("มิติ : บริหารจัดการดี นโยบาย : พัฒนาแพลตฟอร์มรับฟังความคิดเห็นของประชาชนเกี่ยวกับนโยบาย"),
        responsible="ฝ่ายอำนวยการตรวจราชการ",
        total=("100", "100"),
        steps=[
            ("1", "จัดทำคู่มือแนวทางการให", "20", "20", "2023-05"),
            ("2", "ดำเนินการรับฟังความคิด", "20", "40", "2023-06"),
            ("3", "วิเคราะห์ความเชื่อมโยง", "20", "60", "2023-08"),
            ("4", "นำเสนอต่อหัวหน้าผู้ตรว", "20", "80", "2023-08"),
            ("5", "จัดทำข้อเสนอแนะเชิงนโย", "20", "100", "2023-09"),
        ],
        problems=[],
    ),
    Expect(
        line=685,
        name=(
            "การติดตามผลการดำเนินการตามข้อสั่งการของปลัดกรุงเทพมหานคร"
            "และข้อเสนอแนะของผู้ตรวจราชการกรุงเทพมหานครสูง (กลุ่มงานช่วยผู้ตรวจราชการ)"
        ),
        kpi=(
            "ระดับความสำเร็จในการติดตามผลการดำเนินการตามข้อสั่งการของปลัดกรุงเทพมหานครและข้อเสนอแนะของผู้ตรวจราชการกรุงเทพมหานครสูง"
        ),
        policy=("มิติ : บริหารจัดการดี นโยบาย : ย้ายระบบราชการที่เกี่ยวกับประชาชนขึ้นสู่ระบบออนไลน์"),
        responsible="กลุ่มงานช่วยผู้ตรวจราชการ",
        total=("100", "100"),
        steps=[
            ("1", "จัดทำคู่มือ หรือแนวทาง", "20", "20", "2023-04..2023-05"),
            ("2", "รวบรวมข้อสั่งการของปลั", "20", "40", "2023-05..2023-06"),
            ("3", "ติดตามหน่วยงานให้ดำเนิ", "20", "60", "2023-06..2023-07"),
            ("4", "สรุปผลการดำเนินการตามข", "20", "80", "2023-07..2023-08"),
            ("5", "นำข้อสั่งการจากรายงานส", "20", "100", "2023-09"),
        ],
        problems=[],
    ),
    Expect(
        line=700,
        name=("กิจกรรมการดำเนินงานด้านคุณธรรมและความโปร่งใสของกองงานผู้ตรวจราชการ (ฝ่ายบริหารงานทั่วไป)"),
        kpi="ระดับความสำเร็จของการดำเนินงานด้านคุณธรรมและความโปร่งใสของกองงานผู้ตรวจราชการ",
        policy="มิติ : บริหารจัดการดี นโยบาย : โปร่งใส ไม่ส่วย",
        responsible="ฝ่ายบริหารงานทั่วไป",
        total=("100", "100"),
        steps=[
            ("1", "ประเมินสถานะด้านคุณธรร", "20", "20", "2022-10"),
            ("2", "จัดทำแนวทางการดำเนินงา", "20", "40", "2023-01"),
            ("3", "ประชาสัมพันธ์ชี้แจงแนว", "20", "60", "2023-05..2023-09"),
            ("4", "จัดทำช่องทางรับฟังความ", "20", "80", "2023-05..2023-09"),
            ("5", "นำข้อคิดเห็นหรือปัญหาอ", "20", "100", "2023-09"),
        ],
        problems=[
            ("warning", "mark_past_last_month", 711),
        ],
    ),
    Expect(
        line=717,
        name=("โครงการประเมินประสิทธิภาพการให้บริการของหน่วยงานกรุงเทพมหานคร (กลุ่มงานช่วยผู้ตรวจราชการ)"),
        kpi=None,
        policy=("มิติ : บริหารจัดการดี นโยบาย : ประชาชนมีส่วนร่วมในการประเมิน ผอ.เขต และผู้ว่าฯ กทม."),
        responsible="กลุ่มงานช่วยผู้ตรวจราชการ",
        total=("100", "100"),
        steps=[
            ("1", "ประเมินประสิทธิภาพตามภ", "20", "20", "2022-10"),
            ("2", "ส่งรายงานประเมินประสิท", "20", "40", "2022-11"),
            ("3", "ส่งรายงานสรุปผลการประเ", "20", "60", "2022-11"),
            ("4", "การประชาสัมพันธ์รายงาน", "20", "80", "2022-12"),
            ("5", "การติดตามหน่วยงานในการ", "20", "100", "2023-01"),
        ],
        problems=[],
    ),
]


def check(project: ParsedProject, expect: Expect) -> None:
    assert project.source_line == expect.line
    assert project.name == expect.name
    assert project.kpi == expect.kpi
    assert project.policy == expect.policy
    assert project.responsible == expect.responsible
    assert project.code is None and project.budget is None
    assert project.fiscal_year == 2566
    total, running = expect.total
    assert project.declared_total == (None if total is None else Decimal(total))
    assert project.declared_total_cumulative == (None if running is None else Decimal(running))
    got = [
        (s.no, s.title, str(s.weight), str(c), months_text(s.months))
        for s, c in zip(project.steps, project.declared_cumulative, strict=True)
    ]
    numbers = [(e[0], e[2], e[3], e[4]) for e in expect.steps]
    assert [(g[0], g[2], g[3], g[4]) for g in got] == numbers
    for (no, title, *_), (_, prefix, *_) in zip(got, expect.steps, strict=True):
        assert title.startswith(prefix), (no, title)
    checked = validate(project)
    assert [(p.level, p.code, p.row) for p in checked.problems] == expect.problems
    assert validate(checked) == checked


@pytest.mark.parametrize(
    ("fixture", "expected"), [("seed_000.txt", SEED_000), ("seed_003.txt", SEED_003)]
)
def test_seed_project_count(fixture: str, expected: list[Expect]) -> None:
    assert len(parse_step_tables(read_fixture(fixture))) == len(expected)


@pytest.mark.parametrize(
    ("fixture", "index", "expect"),
    [("seed_000.txt", i, e) for i, e in enumerate(SEED_000)]
    + [("seed_003.txt", i, e) for i, e in enumerate(SEED_003)],
    ids=[f"000-{i + 1}" for i in range(len(SEED_000))]
    + [f"003-{i + 1}" for i in range(len(SEED_003))],
)
def test_seed_project(fixture: str, index: int, expect: Expect) -> None:
    check(parse_step_tables(read_fixture(fixture))[index], expect)


@pytest.mark.skipif(
    not SHARED_SEEDS.is_dir(), reason=f"shared seed folder {SHARED_SEEDS} is not available"
)
@pytest.mark.parametrize(
    ("fixture", "seed"),
    [("seed_000.txt", "000_0e86fe97a045bb07.txt"), ("seed_003.txt", "003_83ad9dd29afd8f58.txt")],
)
def test_fixtures_are_copies_of_the_shared_seeds(fixture: str, seed: str) -> None:
    assert (FIXTURES / fixture).read_bytes() == (SHARED_SEEDS / seed).read_bytes()


def test_seed_000_full_titles_of_wrapped_and_split_steps() -> None:
    first, second, *_ = parse_step_tables(read_fixture("seed_000.txt"))
    assert [s.title for s in first.steps] == [
        "เตรียมการประเมิน: ประชุมสร้างการรับรู้",
        "เตรียมการประเมิน: ชี้แจงหลักเกณฑ์การประเมิน",
        "ดำเนินการตามตัวชี้วัด: ประเมินแบบวัดการรับรู้ IIT และ EIT",
        "ดำเนินการตามตัวชี้วัด: ตอบแบบตรวจการเปิดเผยข้อมูลสาธารณะ (OIT)",
        "สรุปผลการประเมิน: ตรวจ OIT และการให้ข้อสังเกตและบวนการอุทธรณ์",
        "ประกาศผลคะแนน",
    ]
    assert [s.title for s in second.steps][1:4] == [
        "จัดทำคำสั่งแต่งตั้งเจ้าหน้าที่ดำเนินการฝึกอบรม",
        "จัดทำประกาศรับสมัครให้ อปพรฯ เข้ารับการฝึกบอบรม",
        "ขอรับการสนับสนุนวิทยากรจากหน่วยงานที่เกี่ยวข้อง",
    ]
    assert [s.row for s in first.steps] == [38, 38, 59, 59, 81, 98]


def test_seed_003_rejoins_hyphenated_wraps() -> None:
    projects = parse_step_tables(read_fixture("seed_003.txt"))
    titles = [s.title for p in projects for s in p.steps]
    assert not any("กรุงเทพ- มหานคร" in t for t in titles)
    assert "ตามนโยบายผู้ว่าราชการกรุงเทพมหานคร ผ่านระบบฐานข้อมูล" in projects[5].steps[1].title


def test_seed_003_skips_budget_and_kpi_tables() -> None:
    projects = parse_step_tables(read_fixture("seed_003.txt"))
    assert all(p.name.startswith(("โครงการ", "กิจกรรม", "การ")) for p in projects)
    assert all(len(p.steps) == 5 for p in projects)
    assert min(p.source_line for p in projects) == 603  # nothing before the step tables


def test_sample_plan_imports_cleanly() -> None:
    projects = [validate(p) for p in parse_step_tables(SAMPLE.read_text(encoding="utf-8"))]
    assert [(len(p.steps), p.fiscal_year, p.code) for p in projects] == [
        (5, 2570, "50310000-3105"),
        (4, 2570, None),
        (4, 2570, "50310000-3120"),
    ]
    assert all(p.problems == [] for p in projects)
    assert all(p.weight_sum == 100 and all(s.months for s in p.steps) for p in projects)
    assert projects[2].name == "โครงการจัดเก็บขยะอันตรายจากชุมชน (ฝ่ายรักษาความสะอาดและสวนสาธารณะ)"


# ---- synthetic tables ------------------------------------------------------

MONTHS = "ต.ค.\tพ.ย.\tธ.ค.\tม.ค.\tก.พ.\tมี.ค.\tเม.ย.\tพ.ค.\tมิ.ย.\tก.ค.\tส.ค.\tก.ย."
HEADER = "ขั้นตอนการปฏิบัติงาน\tเนื้องาน (ร้อยละ)\tคิดความก้าวหน้าโครงการ (ร้อยละ)\tระยะเวลา"


def table(*rows: str, years: str = "\t\t\tพ.ศ. 2565\tพ.ศ. 2566", name: str = "โครงการทดสอบ") -> str:
    lines = ["ชื่อตัวชี้วัด ตัวชี้วัดทดสอบ", f"ชื่อโครงการ {name}", HEADER]
    if years:
        lines.append(years)
    lines.append(f"\t\t\t{MONTHS}")
    return "\n".join([*lines, *rows, ""])


def marks(cells: dict[int, str]) -> str:
    """Twelve month cells with marks at the given fiscal positions (0 = ต.ค.)."""
    return "\t".join(cells.get(i, "") for i in range(12))


def only(text: str, *, fiscal_year: int | None = None, unit: str | None = None) -> ParsedProject:
    projects = parse_step_tables(text, fiscal_year=fiscal_year, unit=unit)
    assert len(projects) == 1
    return projects[0]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({0: "←", 2: "→"}, "2022-10..2022-12"),
        ({0: "←→"}, "2022-10"),
        ({3: "↔"}, "2023-01"),
        ({4: "←-------→"}, "2023-02"),
        ({4: "←-----", 5: "--------", 6: "-----→"}, "2023-02..2023-04"),
        ({1: "✓", 2: "✓", 3: "✓"}, "2022-11..2023-01"),
        ({5: "/", 7: "/"}, "2023-03..2023-05"),
        ({9: "x", 10: "X"}, "2023-07..2023-08"),
        ({11: "●"}, "2023-09"),
        ({0: "-", 1: "-"}, ""),  # a lone "-" means "none"
        ({}, ""),
    ],
)
def test_month_marks(cells: dict[int, str], expected: str) -> None:
    project = only(table(f"1. ขั้นตอนเดียว\t100\t100\t{marks(cells)}"))
    assert months_text(project.steps[0].months) == expected


@pytest.mark.parametrize(
    ("years", "fiscal_year"),
    [
        ("\t\t\tพ.ศ. 256๕\tพ.ศ. 256๖", 2566),
        ("\t\t\t2561\t2562", 2562),
        ("\t\t\t๖1\t๖2", 2562),
        ("\t\t\tพ.ศ. 2570", 2570),  # a single year is the fiscal year
    ],
)
def test_header_years(years: str, fiscal_year: int) -> None:
    project = only(table(f"1. ก\t100\t100\t{marks({0: '←'})}", years=years))
    assert project.fiscal_year == fiscal_year
    assert project.steps[0].months[0].year == fiscal_year - 544


@pytest.mark.parametrize(
    ("first_cell", "no", "title"),
    [
        ("1. ประชุม", "1", "ประชุม"),
        ("๑. ประชุม", "1", "ประชุม"),
        ("ขั้นตอนที่ 1 ประชุม", "1", "ประชุม"),
        ("ขั้นตอนที่ ๒: ประชุม", "2", "ประชุม"),
        ("3) ประชุม", "3", "ประชุม"),
        ("2.1 ประชุม", "2.1", "ประชุม"),
        ("10.ประชุม", "10", "ประชุม"),
    ],
)
def test_step_numbers(first_cell: str, no: str, title: str) -> None:
    project = only(table(f"{first_cell}\t100\t100\t{marks({})}"))
    assert (project.steps[0].no, project.steps[0].title) == (no, title)


def test_thai_digit_weights_and_closing_row() -> None:
    text = table(
        f"1. ก\t๒.๕\t๒.๕\t{marks({0: '←'})}",
        f"2. ข\t๙๗.๕\t๑๐๐\t{marks({1: '←'})}",
        "รวม 2 ขั้นตอน คิดเป็นร้อยละ\t๑๐๐\t๑๐๐\t" + marks({}),
    )
    project = only(text)
    assert [s.weight for s in project.steps] == [Decimal("2.5"), Decimal("97.5")]
    assert project.declared_cumulative == [Decimal("2.5"), Decimal(100)]
    assert (project.declared_total, project.declared_total_cumulative) == (100, 100)
    assert validate(project).problems == []


SPREAD = "\n".join(
    [
        "ชื่อโครงการ โครงการแบบหนึ่งช่องต่อบรรทัด",
        "\tขั้นตอนการปฏิบัติงานของ",
        "โครงการ/กิจกรรม",
        "\tเนื้องาน",
        "\tคิดความก้าวหน้าโครงการ",
        "\tระยะเวลาดำเนินการ",
        "",
        *["\t"] * 3,
        "\tพ.ศ. 2565",
        "\tพ.ศ. 2566",
        "",
        *["\t"] * 3,
        *[f"\t{m}" for m in MONTHS.split("\t")],
        "",
        "\t1. จัดทำคำสั่ง",
        "    แต่งตั้ง",
        "    - ประชุมคณะทำงาน",
        "\t60",
        "\t60",
        "\t←",
        "\t",
        "\t→",
        *["\t"] * 9,
        "",
        "\t2. รายงานผล",
        "\t40",
        "\t100",
        *["\t"] * 11,
        "\t✓",
        "",
        "\tรวม 2 ขั้นตอน คิดเป็นร้อยละ",
        "\t100",
        *["\t"] * 13,
        "",
    ]
)


def test_one_cell_per_line_layout() -> None:
    project = only(SPREAD)
    assert [(s.no, s.title, s.weight, months_text(s.months)) for s in project.steps] == [
        ("1", "จัดทำคำสั่งแต่งตั้ง: ประชุมคณะทำงาน", 60, "2022-10..2022-12"),
        ("2", "รายงานผล", 40, "2023-09"),
    ]
    assert validate(project).problems == []


def test_kpi_carries_over_until_a_section_heading() -> None:
    one = table(f"1. ก\t100\t100\t{marks({0: '←'})}", name="ก")
    two = "ชื่อโครงการที่ 2 ข\n" + table(f"1. ข\t100\t100\t{marks({0: '←'})}").split("\n", 2)[2]
    three = "**ขั้นตอนการปฏิบัติงานของโครงการ/กิจกรรม ภารกิจประจำพื้นฐาน**\n" + two.replace("ที่ 2 ข", "ที่ 3 ค")
    projects = parse_step_tables("\n".join([one, two, three]))
    assert [(p.name, p.kpi) for p in projects] == [
        ("ก", "ตัวชี้วัดทดสอบ"),
        ("ข", "ตัวชี้วัดทดสอบ"),
        ("ค", None),
    ]


@pytest.mark.parametrize(
    ("lines", "name", "code", "budget", "policy", "responsible"),
    [
        (["ชื่อโครงการ 50310000-2961 กิจกรรมประเมิน ITA (ฝ่ายปกครอง)"],
         "กิจกรรมประเมิน ITA (ฝ่ายปกครอง)", "50310000-2961", None, None, "ฝ่ายปกครอง"),
        (["ชื่อโครงการ กิจกรรมประเมิน ITA (รหัส ๕๐๓๑๐๐๐๐-๒๙๖๑)"],
         "กิจกรรมประเมิน ITA", "50310000-2961", None, None, None),
        (["ชื่อโครงการ : กิจกรรม ก", "รหัสโครงการ... : 50310000-2961",
          "งบประมาณ 261,700.- บาท"],
         "กิจกรรม ก", "50310000-2961", Decimal(261700), None, None),
        (["ชื่อโครงการ/กิจกรรม : กิจกรรม ก (กลุ่มงานช่วยผู้ตรวจราชการ)",
          "สนับสนุนนโยบายผู้ว่าราชการกรุงเทพมหานคร มิติ\t-\tนโยบาย\t\t-"],
         "กิจกรรม ก (กลุ่มงานช่วยผู้ตรวจราชการ)", None, None, None, "กลุ่มงานช่วยผู้ตรวจราชการ"),
        (["ชื่อโครงการ กิจกรรม ก", "สนับสนุนนโยบายผู้ว่าราชการกรุงเทพมหานคร มิติ : ปลอดภัยดี "
          "นโยบาย : ลดอุบัติเหตุ"],
         "กิจกรรม ก", None, None, "มิติ : ปลอดภัยดี นโยบาย : ลดอุบัติเหตุ", None),
    ],
)  # fmt: skip
def test_project_heading_lines(
    lines: list[str],
    name: str,
    code: str | None,
    budget: Decimal | None,
    policy: str | None,
    responsible: str | None,
) -> None:
    body = table(f"1. ก\t100\t100\t{marks({0: '←'})}").split("\n", 2)[2]
    project = only("\n".join([*lines, body]))
    assert (project.name, project.code, project.budget) == (name, code, budget)
    assert (project.policy, project.responsible) == (policy, responsible)


def test_unit_and_fiscal_year_arguments() -> None:
    project = only(table(f"1. ก\t100\t100\t{marks({3: '←'})}", years=""), fiscal_year=2570,
                   unit="สำนักงานเขตบางซื่อ")  # fmt: skip
    assert (project.unit, project.fiscal_year) == ("สำนักงานเขตบางซื่อ", 2570)
    assert months_text(project.steps[0].months) == "2027-01"
    assert project.problems == []


def test_fiscal_year_argument_that_disagrees_with_the_header() -> None:
    project = only(table(f"1. ก\t100\t100\t{marks({0: '←'})}"), fiscal_year=2570)
    assert project.fiscal_year == 2566
    assert [(p.level, p.code) for p in project.problems] == [("warning", "fiscal_year_mismatch")]


@pytest.mark.parametrize(
    ("years", "codes"),
    [
        (
            "",
            [
                ("error", "months_without_year"),
                ("error", "missing_fiscal_year"),
                ("warning", "no_monthly_plan"),
            ],
        ),
        ("\t\t\tพ.ศ. 2565\tพ.ศ. 2567", [("error", "header_years_inconsistent")]),
    ],
)
def test_unusable_header_years(years: str, codes: list[tuple[str, str]]) -> None:
    project = validate(only(table(f"1. ก\t100\t100\t{marks({0: '←'})}", years=years)))
    assert [(p.level, p.code) for p in project.problems] == codes


@pytest.mark.parametrize(
    ("row", "steps", "codes"),
    [
        # one weight for a step with sub-items: the sub-items are details of the step
        ("1. เตรียมการ\n    - ประชุม\n    - ชี้แจง\t100\t100", [("1", "เตรียมการ: ประชุม; ชี้แจง")],
         []),
        # one weight per sub-item: sub-steps 1.1, 1.2
        ("1. เตรียมการ\n    - ประชุม\n    - ชี้แจง\t\n60\n40\t60\n100",
         [("1.1", "เตรียมการ: ประชุม"), ("1.2", "เตรียมการ: ชี้แจง")], []),
        # numbers that match nothing
        ("1. เตรียมการ\t50\n50\t100", [("1", "เตรียมการ")], [("error", "weights_unclear")]),
        ("1. เตรียมการ\tห้าสิบ\t100", [("1", "เตรียมการ")], [("error", "weight_not_a_number")]),
    ],
)  # fmt: skip
def test_weight_cells(row: str, steps: list[tuple[str, str]], codes: list[tuple[str, str]]
                      ) -> None:  # fmt: skip
    # multi-line cells only exist in the one-cell-per-line layout
    cells = row.split("\t") + [""] * 12
    rows = "\n".join(f"\t{c}" for c in cells) + "\n"
    text = SPREAD.split("\t1. จัดทำคำสั่ง")[0] + rows + "\n"
    project = only(text)
    assert [(s.no, s.title) for s in project.steps] == steps
    assert [(p.level, p.code) for p in validate(project).problems if p.level == "error"] == codes


def test_wrapped_title_row_and_unnumbered_step() -> None:
    text = table(
        f"1. จัดทำแผน\t50\t50\t{marks({0: '←'})}",
        "และเสนอผู้บริหาร\t\t\t" + marks({}),
        f"สรุปผล\t50\t100\t{marks({1: '←'})}",
    )
    project = only(text)
    assert [(s.no, s.title) for s in project.steps] == [
        ("1", "จัดทำแผน และเสนอผู้บริหาร"),
        ("2", "สรุปผล"),
    ]
    assert [p.code for p in project.problems] == ["step_unnumbered"]


def test_marks_beyond_the_last_month_column() -> None:
    wide = table(
        "1. ก\t50\t50\t" + marks({10: "←"}) + "\t\t→",
        "2. ข\t50\t100\t" + marks({}) + "\t\t←\t→",
    )
    project = only(wide)
    assert [months_text(s.months) for s in project.steps] == ["2023-08..2023-09", "2023-09"]
    assert [(p.code, p.row) for p in project.problems] == [("mark_past_last_month", 7)]


def test_missing_project_name() -> None:
    text = "\n".join(table(f"1. ก\t100\t100\t{marks({0: '←'})}").split("\n")[2:])
    project = validate(only(text))
    assert project.name == ""
    assert [p.code for p in project.errors] == ["missing_project_name"]


@pytest.mark.parametrize(
    "text",
    [
        "ลำดับที่\tโครงการ/กิจกรรมสำคัญ\tงบประมาณ\tส่วนราชการ\n1\tกิจกรรม ก\t-\tฝ่าย ก\n",
        "ระดับความสำเร็จ\tเกณฑ์ร้อยละความสำเร็จ\tวิธีวัดผล\tคะแนน\n5\tร้อยละ 100\tสรุปผล\t10\n",
        "ขั้นตอนการปฏิบัติงานของโครงการ/กิจกรรม\n1. ประชุม\n",
        "",
    ],
)
def test_text_without_step_tables(text: str) -> None:
    assert parse_step_tables(text) == []


@pytest.mark.parametrize(
    ("lines", "unit"),
    [
        (["# แผนปฏิบัติการประจำปี พ.ศ. 2566", "กองงานผู้ตรวจราชการ", "ฝ่ายวิเคราะห์และประเมินผล", "## คำนำ"],
         "กองงานผู้ตรวจราชการ/ฝ่ายวิเคราะห์และประเมินผล"),
        (["แผนปฏิบัติราชการประจำปี พ.ศ. 2567", "ฝ่ายปกครอง", "สำนักงานเขตบางซื่อ"], "สำนักงานเขตบางซื่อ/ฝ่ายปกครอง"),
        (["แผนปฏิบัติราชการประจำปีงบประมาณ พ.ศ. ๒๕๗๐ สำนักงานเขตตัวอย่าง"], "สำนักงานเขตตัวอย่าง"),
        (["แผนปฏิบัติราชการประจำปี พ.ศ. 2566 ของสำนักงานเขตบางซื่อ"], "สำนักงานเขตบางซื่อ"),
        (["แผนปฏิบัติราชการประจำปี พ.ศ. 2567", "คำนำ", "สำนักงานเขตบางซื่อ"], None),
        (["ภารกิจยุทธศาสตร์ตามแผนปฏิบัติราชการกรุงเทพมหานคร ประจำปี พ.ศ. 2566"], None),
        (["กองงานผู้ตรวจราชการ"], None),  # a unit's name with no plan title above it
    ],
)  # fmt: skip
def test_the_unit_is_read_from_the_title_block(lines: list[str], unit: str | None) -> None:
    assert document_unit(lines) == unit


def test_seed_003_names_its_unit_and_the_importer_can_override_it() -> None:
    text = (FIXTURES / "seed_003.txt").read_text(encoding="utf-8")
    assert {p.unit for p in parse_step_tables(text)} == {"กองงานผู้ตรวจราชการ/ฝ่ายวิเคราะห์และประเมินผล"}
    assert {p.unit for p in parse_step_tables(text, unit="สำนักปลัดกรุงเทพมหานคร")} == {"สำนักปลัดกรุงเทพมหานคร"}
    seed_000 = (FIXTURES / "seed_000.txt").read_text(encoding="utf-8")
    assert {p.unit for p in parse_step_tables(seed_000)} == {None}  # it names sections only

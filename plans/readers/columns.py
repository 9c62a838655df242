"""The columns of the plan spreadsheet template: one row per step.

Headers may be written in Thai or English, in any order, with extra words in
brackets ("ร้อยละ (weight)"); other columns are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    thai: str
    aliases: tuple[str, ...]
    required: bool
    help_th: str
    help_en: str


COLUMNS: tuple[Column, ...] = (
    Column("unit", "หน่วยงาน", ("unit", "ส่วนราชการ"), False,
           "ชื่อหน่วยงานเจ้าของแผน กรอกครั้งเดียวที่แถวแรกก็ได้",
           "The unit that owns the plan; filling the first row is enough."),
    Column("fiscal_year", "ปีงบประมาณ", ("fiscal_year", "fiscal year", "ปีงบประมาณ พ.ศ."), False,
           "ปีงบประมาณ พ.ศ. เช่น 2570 (1 ต.ค. 2569 - 30 ก.ย. 2570) กรอกครั้งเดียวที่แถวแรกก็ได้",
           "Fiscal year in Buddhist Era, e.g. 2570 (1 Oct 2026 - 30 Sep 2027); "
           "filling the first row is enough."),
    Column("kpi", "ตัวชี้วัด", ("kpi", "ชื่อตัวชี้วัด"), False,
           "ตัวชี้วัดของโครงการ กรอกที่แถวแรกของโครงการ",
           "The project's KPI, on the project's first row."),
    Column("project_code", "รหัสโครงการ", ("project_code", "project code", "code"), False,
           "รหัสโครงการ (ถ้ามี) เช่น 50310000-3105",
           "Project code if there is one, e.g. 50310000-3105."),
    Column("project", "ชื่อโครงการ", ("project", "project name", "ชื่อโครงการ/กิจกรรม",
                                      "โครงการ/กิจกรรม", "โครงการ"), True,
           "ชื่อโครงการ/กิจกรรม ทุกแถวของโครงการเดียวกันใช้ชื่อเดียวกัน "
           "(เว้นว่างได้ในแถวถัดไป หมายถึงโครงการเดิม)",
           "Project name; every row of a project has the same name (a blank cell "
           "means the project of the row above)."),
    Column("budget", "งบประมาณ", ("budget", "งบประมาณ (บาท)"), False,
           "งบประมาณของโครงการ (บาท) กรอกที่แถวแรกของโครงการ",
           "Project budget in baht, on the project's first row."),
    Column("step_no", "ขั้นตอนที่", ("step_no", "step no", "no", "ลำดับ", "ลำดับที่"), False,
           "เลขขั้นตอน เช่น 1, 2, 2.1 (ไม่กรอกก็ได้ ระบบจะเรียงตามแถว)",
           "Step number such as 1, 2, 2.1 (optional: rows are numbered in order)."),
    Column("step", "ขั้นตอน", ("step", "step title", "title", "ขั้นตอนการปฏิบัติงาน",
                               "ขั้นตอนการดำเนินงาน", "ชื่อขั้นตอน"), True,
           "ชื่อขั้นตอนการปฏิบัติงาน",
           "What the step is."),
    Column("weight", "ร้อยละ", ("weight", "percent", "%", "เนื้องาน", "เนื้องานรายขั้นตอน",
                                "น้ำหนัก"), True,
           "เนื้องานของขั้นตอน (ร้อยละ) ทุกขั้นตอนของโครงการรวมกันต้องได้ 100",
           "The step's share of the work in percent; a project's steps add up to 100."),
    Column("months", "ระยะเวลา", ("months", "period", "ระยะเวลาดำเนินการ", "เดือน"), False,
           "เดือนที่ดำเนินการ เช่น \"ต.ค.-ธ.ค. 69\", \"ม.ค. 2570\" หรือ \"2026-10..2026-12\" "
           "ถ้าไม่กรอก โครงการจะไม่มีแผนรายเดือน",
           "Months the step runs, e.g. \"ต.ค.-ธ.ค. 69\", \"ม.ค. 2570\" or "
           "\"2026-10..2026-12\"; without them the project has no monthly plan."),
    Column("responsible", "ผู้รับผิดชอบ", ("responsible", "owner", "ฝ่ายที่รับผิดชอบ"), False,
           "ฝ่าย/กลุ่มงาน หรือผู้รับผิดชอบโครงการ",
           "The section or person responsible."),
)  # fmt: skip

BY_KEY = {c.key: c for c in COLUMNS}
_BRACKETS = re.compile(r"[(\[]([^)\]]*)[)\]]")


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("*", " ").split()).lower()


_ALIASES = {_norm(a): c.key for c in COLUMNS for a in (c.thai, c.key, *c.aliases)}


def column_key(header: str) -> str | None:
    """The column a header names, or None: "ร้อยละ (weight)" -> "weight"."""
    whole = _norm(header)
    candidates = [whole, _norm(_BRACKETS.sub(" ", header))]
    candidates += [_norm(inner) for inner in _BRACKETS.findall(header)]
    for candidate in candidates:
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return None

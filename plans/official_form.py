"""The official progress report form (แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ)
as text, laid out as the units file it: the project's particulars, then one entry
per report ("รายงานครั้งที่N :: dd/mm/yyyy : ..."). Pure: plain data in, text out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from plans.standing import baht
from plans.thai import ce_to_be

TITLE = "**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****"


@dataclass(frozen=True)
class ProjectSheet:
    name: str
    code: str | None
    fiscal_year: int
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    unit_path: str
    responsible: str | None
    kpi: str | None


@dataclass(frozen=True)
class ReportEntry:
    number: int
    reported_on: date
    work_done: str
    percent: Decimal
    budget_disbursed: Decimal
    obstacles: str | None
    on_plan: bool | None
    on_target: bool | None


def thai_slash_date(day: date) -> str:
    """``date(2023, 1, 16) -> "16/01/2566"``, as the form writes dates."""
    return f"{day.day:02d}/{day.month:02d}/{ce_to_be(day.year)}"


def official_report(project: ProjectSheet, entries: Sequence[ReportEntry]) -> str:
    spent = sum((e.budget_disbursed for e in entries), Decimal(0))
    lines = [
        TITLE,
        "",
        "1. ชื่อโครงการและหน่วยงานที่รับผิดชอบโครงการ",
        "1.1 รหัสโครงการและชื่อโครงการ",
        f"ชื่อโครงการ/กิจกรรม : {project.name}",
        f"รหัสโครงการ : {project.code or '-'}",
        f"ปีงบประมาณ พ.ศ. : {project.fiscal_year}",
        f"เริ่มต้นโครงการ : {thai_slash_date(project.starts_on) if project.starts_on else '-'}",
        f"สิ้นสุดโครงการ : {thai_slash_date(project.ends_on) if project.ends_on else '-'}",
        f"งบประมาณที่ได้รับ : {baht(project.budget) if project.budget is not None else '-'} บาท",
        f"งบประมาณที่ใช้ไป : {baht(spent)} บาท",
        "1.2 หน่วยงานที่รับผิดชอบ",
        f"หน่วยงานที่รับผิดชอบ : {project.unit_path.replace('/', ' / ')}",
        f"ชื่อผู้รับผิดชอบ : {project.responsible or '-'}",
        f"ตัวชี้วัด : {project.kpi or '-'}",
        "",
        "2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ",
    ]
    if not entries:
        lines.append("ยังไม่มีรายงานความก้าวหน้า")
    for entry in entries:
        lines.append("")
        lines.append(f"รายงานครั้งที่{entry.number} :: {thai_slash_date(entry.reported_on)} : {entry.work_done}")
        if entry.obstacles:
            lines.append(f"ปัญหาอุปสรรค : {entry.obstacles}")
        lines.append(
            f":: ความก้าวหน้าของงานฯ = {entry.percent:.2f} % "
            f"งบประมาณที่เบิกใช้ (ครั้งที่ {entry.number}) = {baht(entry.budget_disbursed)} บาท"
        )
        lines.append(f": {_flag(entry.on_plan, 'เป็นไปตามแผน', 'ไม่เป็นไปตามแผน', 'ไม่มีแผนรายเดือน')}")
        lines.append(f": {_flag(entry.on_target, 'เป็นไปตามเป้าหมาย', 'ไม่เป็นไปตามเป้าหมาย', 'ยังประเมินเป้าหมายไม่ได้')}")
    return "\n".join(lines)


def _flag(value: bool | None, yes: str, no: str, unknown: str) -> str:
    return unknown if value is None else (yes if value else no)

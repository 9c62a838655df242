"""The official progress report form (แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ),
laid out as the units file it: section 1, the project's particulars; section 2, one
entry per report ("รายงานครั้งที่N :: dd/mm/yyyy : ..."); then the quarterly view
(ไตรมาส 1-4) the ministry scores by. Pure: plain data in, text (or plain data) out.

The same content feeds the workbook (plans/workbook.py) and the JSON export
(``form_json``, documented in docs/EXPORT_JSON.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from plans.fiscal import YearMonth, fiscal_months
from plans.model import PlanStep
from plans.progress import planned_percent
from plans.standing import baht
from plans.thai import ce_to_be, format_thai_month

TITLE = "**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****"
NO_BUDGET = "ไม่ได้รับงบประมาณ"
CENT = Decimal("0.01")
# What the two verdicts mean where they differ: on plan compares with this month's
# plan; on target asks whether the project can still finish within the fiscal year.
BEHIND_BUT_ON_TARGET = "(ช้ากว่าแผนรายเดือน แต่ยังคาดว่าจะแล้วเสร็จได้ภายในปีงบประมาณ จึงยังเป็นไปตามเป้าหมาย)"
ON_PLAN_NOT_ON_TARGET = "(เป็นไปตามแผนรายเดือน แต่คาดว่าจะไม่แล้วเสร็จภายในปีงบประมาณ)"


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
    phone: str | None = None
    kpi_target: str | None = None  # as set; else read from the KPI's own words
    kpi_value: str | None = None  # the value reached, when known
    steps: tuple[PlanStep, ...] = field(default=())

    @property
    def target(self) -> str | None:
        return self.kpi_target or kpi_target_of(self.kpi)


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
    planned_percent: Decimal | None = None
    reason: str | None = None  # why the % is lower than the report before
    reporter: str | None = None


@dataclass(frozen=True)
class ProjectForm:
    """One project's form: its header block and its reports, as plain data."""

    id: int
    sheet: ProjectSheet
    entries: Sequence[ReportEntry]


@dataclass(frozen=True)
class Period:
    """A fiscal month or quarter: the plan at its end and the latest reported % by then."""

    label: str
    first: YearMonth
    last: YearMonth
    planned: Decimal | None
    actual: Decimal | None  # None: not reached yet, or nothing reported by then


def thai_slash_date(day: date) -> str:
    """``date(2023, 1, 16) -> "16/01/2566"``, as the form writes dates."""
    return f"{day.day:02d}/{day.month:02d}/{ce_to_be(day.year)}"


def kpi_target_of(kpi: str | None) -> str | None:
    """The target a KPI states in its own words: "... ไม่น้อยกว่า ระดับ AA (95.00 คะแนน)"
    -> "ไม่น้อยกว่า ระดับ AA (95.00 คะแนน)"; None when it states none."""
    if not kpi:
        return None
    found = re.search(r"((?:ไม่น้อยกว่า|ไม่ต่ำกว่า|ร้อยละ\s*\d|อย่างน้อย)[^()]*(?:\([^)]*\))?)", kpi)
    return " ".join(found.group(1).split()) if found else None


def budget_text(budget: Decimal | None) -> str:
    """The form's "งบประมาณที่ได้รับ": the amount, "ไม่ได้รับงบประมาณ" for none, blank when unknown."""
    if budget is None:
        return ""
    return NO_BUDGET if budget == 0 else f"{baht(budget)} บาท"


def verdict_note(entry: ReportEntry) -> str | None:
    if entry.on_plan is False and entry.on_target is True:
        return BEHIND_BUT_ON_TARGET
    if entry.on_plan is True and entry.on_target is False:
        return ON_PLAN_NOT_ON_TARGET
    return None


def _flag(value: bool | None, yes: str, no: str, unknown: str) -> str:
    return unknown if value is None else (yes if value else no)


def on_plan_text(entry: ReportEntry) -> str:
    return _flag(entry.on_plan, "เป็นไปตามแผน", "ไม่เป็นไปตามแผน", "ไม่มีแผนรายเดือน")


def on_target_text(entry: ReportEntry) -> str:
    return _flag(entry.on_target, "เป็นไปตามเป้าหมาย", "ไม่เป็นไปตามเป้าหมาย", "ยังประเมินเป้าหมายไม่ได้")


def actual_by(entries: Sequence[ReportEntry], day: date) -> Decimal | None:
    """The percent of the latest report on or before ``day``."""
    before = [e for e in entries if e.reported_on <= day]
    return max(before, key=lambda e: (e.reported_on, e.number)).percent if before else None


def monthly(sheet: ProjectSheet, entries: Sequence[ReportEntry], on: date) -> list[Period]:
    """The twelve fiscal months: planned cumulative % at each month's end, and the
    actual % reported by then (for months that have begun by ``on``)."""
    out = []
    for month in fiscal_months(sheet.fiscal_year):
        planned = planned_percent(sheet.steps, month.last_day) if sheet.steps else None
        actual = actual_by(entries, month.last_day) if month.first_day <= on else None
        out.append(Period(month.thai(), month, month, _cent(planned), _cent(actual)))
    return out


def quarterly(sheet: ProjectSheet, entries: Sequence[ReportEntry], on: date) -> list[Period]:
    months = fiscal_months(sheet.fiscal_year)
    out = []
    for q in range(4):
        first, last = months[3 * q], months[3 * q + 2]
        planned = planned_percent(sheet.steps, last.last_day) if sheet.steps else None
        actual = actual_by(entries, last.last_day) if first.first_day <= on else None
        label = f"ไตรมาส {q + 1} ({_short(first)}–{_short(last)})"
        out.append(Period(label, first, last, _cent(planned), _cent(actual)))
    return out


def official_report(project: ProjectSheet, entries: Sequence[ReportEntry], *, on: date | None = None) -> str:
    spent = sum((e.budget_disbursed for e in entries), Decimal(0))
    responsible = project.responsible or "-"
    if project.phone:
        responsible += f" โทร. {project.phone}"
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
        f"งบประมาณที่ได้รับ : {budget_text(project.budget)}".rstrip(),
        f"งบประมาณที่ใช้ไป : {baht(spent)} บาท",
        "1.2 หน่วยงานที่รับผิดชอบ",
        f"หน่วยงานที่รับผิดชอบ : {project.unit_path.replace('/', ' / ')}",
        f"ชื่อผู้รับผิดชอบ : {responsible}",
        f"ตัวชี้วัด : {project.kpi or '-'}",
    ]
    if project.target:
        lines.append(f"ค่าเป้าหมาย : {project.target}")
    if project.kpi_value:
        lines.append(f"ผลการดำเนินงานตามตัวชี้วัด : {project.kpi_value}")
    lines += ["", "2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ"]
    if not entries:
        lines.append("ยังไม่มีรายงานความก้าวหน้า")
    for entry in entries:
        lines.append("")
        lines.append(f"รายงานครั้งที่{entry.number} :: {thai_slash_date(entry.reported_on)} : {entry.work_done}")
        if entry.obstacles:
            lines.append(f"ปัญหาอุปสรรค : {entry.obstacles}")
        if entry.reason:
            lines.append(f"เหตุผลที่ความก้าวหน้าลดลง : {entry.reason}")
        lines.append(
            f":: ความก้าวหน้าของงานฯ = {entry.percent:.2f} % "
            f"งบประมาณที่เบิกใช้ (ครั้งที่ {entry.number}) = {baht(entry.budget_disbursed)} บาท"
        )
        lines.append(f": {on_plan_text(entry)}")
        lines.append(f": {on_target_text(entry)}")
        note = verdict_note(entry)
        if note:
            lines.append(note)
    if project.steps:
        lines += ["", "3. ความก้าวหน้าเทียบกับแผนรายไตรมาส (ร้อยละสะสม)"]
        for period in quarterly(project, entries, on or date.max):
            actual = "-" if period.actual is None else f"{period.actual:.2f}"
            planned = "-" if period.planned is None else f"{period.planned:.2f}"
            lines.append(f"{period.label} : แผน {planned} % · ผล {actual} %")
    return "\n".join(lines)


def form_json(project: ProjectSheet, entries: Sequence[ReportEntry], *, on: date) -> dict[str, Any]:
    """The same content as the form, machine-readable (docs/EXPORT_JSON.md)."""
    spent = sum((e.budget_disbursed for e in entries), Decimal(0))
    return {
        "name": project.name,
        "code": project.code,
        "fiscal_year": project.fiscal_year,
        "starts_on": _iso(project.starts_on),
        "ends_on": _iso(project.ends_on),
        "budget_received": _num(project.budget),
        "budget_disbursed": _num(spent),
        "unit": project.unit_path,
        "responsible": {"name": project.responsible, "phone": project.phone},
        "kpi": {"name": project.kpi, "target": project.target, "value": project.kpi_value},
        "reports": [
            {
                "number": e.number,
                "reported_on": e.reported_on.isoformat(),
                "work_done": e.work_done,
                "percent": _num(e.percent),
                "planned_percent": _num(e.planned_percent),
                "budget_disbursed": _num(e.budget_disbursed),
                "obstacles": e.obstacles,
                "reason_for_lower_percent": e.reason,
                "on_plan": e.on_plan,
                "on_target": e.on_target,
                "note": verdict_note(e),
                "reporter": e.reporter,
            }
            for e in entries
        ],
        "months": [_period_json(p) for p in monthly(project, entries, on)],
        "quarters": [_period_json(p) for p in quarterly(project, entries, on)],
    }


def _period_json(period: Period) -> dict[str, Any]:
    return {
        "label": period.label,
        "first_month": period.first.key,
        "last_month": period.last.key,
        "planned_percent": _num(period.planned),
        "actual_percent": _num(period.actual),
    }


def _short(month: YearMonth) -> str:
    return format_thai_month(month.year, month.month, short_year=True)


def _cent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)

"""Checks every imported project goes through before it is saved.

``validate`` never fixes anything silently: it returns the project with its
problems listed (problems found while reading the file are kept). The one
change it makes is opt-in: with ``equal_weights=True`` steps without a weight
share what is left of 100 equally, and a warning says so.

Errors (the project is rejected): no project name; no steps; a step without a
weight, or outside 0-100; a repeated step number; weights not adding to 100;
no fiscal year; a month outside the fiscal year. When the weights do not add to
100, a "รวม" row or running-total column that disagrees is reported as an
error too, so the unit sees every number to reconcile.

Warnings: a running-total column or "รวม" row that disagrees with weights that
do add to 100 (the weights win); steps with no months; no months at all (the
project then has no monthly plan).

Running validate again gives the same problems.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

from plans.fiscal import fiscal_months
from plans.model import ParsedProject, PlanStep, Problem, ProblemLevel
from plans.progress import cumulative

HUNDRED = Decimal(100)
SPREAD_CODE = "weights_spread_equally"
VALIDATION_CODES = frozenset({
    "missing_project_name", "no_steps", "missing_weight", "weight_out_of_range",
    "duplicate_step_no", "weights_not_100", "total_row_mismatch",
    "total_row_cumulative_mismatch", "cumulative_mismatch", "missing_fiscal_year",
    "month_outside_fiscal_year", "step_without_months", "no_monthly_plan",
})  # fmt: skip


def fmt(value: Decimal) -> str:
    """``Decimal("75.0") -> "75"``, ``Decimal("2.50") -> "2.5"``."""
    return format(value.normalize(), "f")


def validate(project: ParsedProject, *, equal_weights: bool = False) -> ParsedProject:
    kept = [p for p in project.problems if p.code not in VALIDATION_CODES]
    steps = list(project.steps)
    if equal_weights:
        steps, spread = _spread_equally(steps)
        if spread is not None and all(p.code != SPREAD_CODE for p in kept):
            kept.append(spread)
    checked = replace(project, steps=steps)
    return replace(checked, problems=kept + _check(checked, kept))


def _p(level: ProblemLevel, code: str, th: str, en: str, row: int | None = None,
       column: str | None = None) -> Problem:  # fmt: skip
    return Problem(level, code, th, en, row, column)


def _spread_equally(steps: list[PlanStep]) -> tuple[list[PlanStep], Problem | None]:
    missing = [i for i, s in enumerate(steps) if s.weight is None]
    given = sum((s.weight for s in steps if s.weight is not None), Decimal(0))
    left = HUNDRED - given
    if not missing or left <= 0:
        return steps, None
    share = (left / len(missing)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    out = list(steps)
    for n, i in enumerate(missing, start=1):
        weight = share if n < len(missing) else left - share * (len(missing) - 1)
        out[i] = replace(steps[i], weight=weight)
    nos = ", ".join(steps[i].no for i in missing)
    shares = ", ".join(fmt(out[i].weight or Decimal(0)) for i in missing)
    return out, _p(
        "warning", SPREAD_CODE,
        f"ขั้นตอนที่ {nos} ไม่ได้ระบุเนื้องาน ระบบจึงแบ่งร้อยละที่เหลือ ({fmt(left)}) "
        f"ให้เท่า ๆ กัน ({shares}) กรุณาตรวจสอบว่าถูกต้อง",
        f"Steps {nos} had no weight, so the remaining {fmt(left)}% was shared equally "
        f"({shares}); please check this is right.",
        steps[missing[0]].row, "weight",
    )  # fmt: skip


def _check(project: ParsedProject, earlier: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    steps = project.steps
    if not project.name.strip():
        quoted = " / ".join(f"“{line[:60]}”" for line in project.context)
        out.append(_p(
            "error", "missing_project_name",
            "ไม่พบชื่อโครงการ กรุณาระบุชื่อโครงการ (บรรทัด “ชื่อโครงการ …” ก่อนตาราง)"
            + (f" ข้อความก่อนตารางคือ {quoted}" if quoted else ""),
            "The project has no name; please give one (a line “ชื่อโครงการ …” before the table)"
            + (f"; the lines before the table: {quoted}" if quoted else "."),
            project.source_line, "project",
        ))  # fmt: skip
    if not steps:
        out.append(_p(
            "error", "no_steps",
            "โครงการนี้ยังไม่มีขั้นตอนการปฏิบัติงาน กรุณาเพิ่มอย่างน้อยหนึ่งขั้นตอน",
            "This project has no steps; please add at least one.", project.source_line,
        ))  # fmt: skip
        return out
    out += _check_weights(project, earlier)
    out += _check_months(project)
    return out


def _check_weights(project: ParsedProject, earlier: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    steps = project.steps
    unreadable = {p.row for p in earlier if p.level == "error" and p.column == "weight"}
    for step in steps:
        if step.weight is None and step.row not in unreadable:
            out.append(_p(
                "error", "missing_weight",
                f"ขั้นตอนที่ {step.no} ยังไม่ได้ระบุเนื้องาน (ร้อยละ) กรุณาระบุ",
                f"Step {step.no} has no weight (percent); please give one.",
                step.row, "weight",
            ))  # fmt: skip
        elif step.weight is not None and not 0 <= step.weight <= HUNDRED:
            out.append(_p(
                "error", "weight_out_of_range",
                f"เนื้องานของขั้นตอนที่ {step.no} คือ {fmt(step.weight)} ซึ่งต้องอยู่ระหว่าง 0 ถึง 100",
                f"Step {step.no} has weight {fmt(step.weight)}; it must be between 0 and 100.",
                step.row, "weight",
            ))  # fmt: skip
    for no, count in Counter(s.no for s in steps).items():
        if count > 1:
            row = next(s.row for s in steps if s.no == no)
            out.append(_p(
                "error", "duplicate_step_no",
                f"มีขั้นตอนที่ {no} ซ้ำกัน {count} ครั้ง กรุณาใช้เลขขั้นตอนที่ไม่ซ้ำกัน",
                f"Step number {no} appears {count} times; step numbers must be unique.",
                row, "step_no",
            ))  # fmt: skip
    if any(s.weight is None for s in steps):
        return out
    total = project.weight_sum
    adds_up = total == HUNDRED
    level: ProblemLevel = "warning" if adds_up else "error"
    if not adds_up:
        out.append(_p(
            "error", "weights_not_100",
            f"เนื้องานของทุกขั้นตอนรวมกันได้ร้อยละ {fmt(total)} ซึ่งต้องรวมกันได้ 100 "
            "กรุณาปรับเนื้องานของแต่ละขั้นตอน",
            f"The step weights add up to {fmt(total)}%, not 100%; please adjust them.",
            project.source_line, "weight",
        ))  # fmt: skip
    declared = project.declared_total
    if declared is not None and declared != total:
        out.append(_p(
            level, "total_row_mismatch",
            f"แถว \"รวม\" ระบุร้อยละ {fmt(declared)} แต่เนื้องานของแต่ละขั้นตอนรวมกันได้ "
            f"{fmt(total)}" + (" ระบบใช้ผลรวมของเนื้องาน" if adds_up else ""),
            f"The total row says {fmt(declared)}% but the step weights add up to "
            f"{fmt(total)}%" + ("; the weights are used." if adds_up else "."),
            project.source_line, "weight",
        ))  # fmt: skip
    declared_cum = project.declared_total_cumulative
    if declared_cum is not None and declared_cum != total:
        out.append(_p(
            level, "total_row_cumulative_mismatch",
            f"ช่องคิดความก้าวหน้าโครงการของแถว \"รวม\" ระบุ {fmt(declared_cum)} "
            f"แต่เนื้องานของแต่ละขั้นตอนรวมกันได้ {fmt(total)}",
            f"The running-total cell of the total row says {fmt(declared_cum)}% but the "
            f"step weights add up to {fmt(total)}%.",
            project.source_line, "cumulative",
        ))  # fmt: skip
    out += _check_cumulative(project, level, adds_up)
    return out


def _check_cumulative(project: ParsedProject, level: ProblemLevel, adds_up: bool
                      ) -> list[Problem]:  # fmt: skip
    steps = project.steps
    expected = cumulative(s.weight for s in steps)
    wrong = [
        (step, said, want)
        for step, said, want in zip(steps, project.declared_cumulative, expected, strict=False)
        if said is not None and said != want
    ]
    if not wrong:
        return []
    nos = ", ".join(step.no for step, _, _ in wrong)
    said = ", ".join(fmt(s) for _, s, _ in wrong)
    want = ", ".join(fmt(w) for _, _, w in wrong)
    return [_p(
        level, "cumulative_mismatch",
        f"ช่องคิดความก้าวหน้าโครงการของขั้นตอนที่ {nos} ระบุ {said} แต่ผลรวมสะสมของเนื้องาน"
        f"คือ {want}" + (" ระบบใช้ค่าจากเนื้องาน" if adds_up else ""),
        f"The running total of step(s) {nos} says {said} but the weights add up to "
        f"{want}" + ("; the weights are used." if adds_up else "."),
        wrong[0][0].row, "cumulative",
    )]  # fmt: skip


def _check_months(project: ParsedProject) -> list[Problem]:
    out: list[Problem] = []
    steps = project.steps
    fy = project.fiscal_year
    if fy is None:
        out.append(_p(
            "error", "missing_fiscal_year",
            "ไม่ทราบปีงบประมาณของโครงการนี้ กรุณาระบุปีงบประมาณ (พ.ศ.)",
            "The fiscal year of this project is unknown; please give it (Buddhist Era).",
            project.source_line, "fiscal_year",
        ))  # fmt: skip
    else:
        allowed = set(fiscal_months(fy))
        for step in steps:
            outside = [m for m in step.months if m not in allowed]
            if outside:
                shown = ", ".join(m.thai() for m in outside)
                out.append(_p(
                    "error", "month_outside_fiscal_year",
                    f"ขั้นตอนที่ {step.no} กำหนดเดือน {shown} ซึ่งอยู่นอกปีงบประมาณ พ.ศ. {fy} "
                    f"(ต.ค. {fy - 1} - ก.ย. {fy})",
                    f"Step {step.no} is scheduled in {', '.join(m.key for m in outside)}, "
                    f"outside fiscal year {fy}.",
                    step.row, "months",
                ))  # fmt: skip
    with_months = [s for s in steps if s.months]
    if not with_months:
        out.append(_p(
            "warning", "no_monthly_plan",
            "ไม่มีการกำหนดเดือนของแต่ละขั้นตอน โครงการนี้จึงไม่มีแผนรายเดือน "
            "ระบบจะติดตามได้เฉพาะผลการดำเนินงาน แต่เทียบกับแผนไม่ได้",
            "No step has months, so the project has no monthly plan: progress can be "
            "tracked but not compared with a plan.",
            project.source_line, "months",
        ))  # fmt: skip
        return out
    for step in steps:
        if not step.months:
            out.append(_p(
                "warning", "step_without_months",
                f"ขั้นตอนที่ {step.no} ไม่ได้กำหนดเดือนที่ดำเนินการ จึงไม่ถูกนับในแผนรายเดือน",
                f"Step {step.no} has no months, so it is left out of the monthly plan.",
                step.row, "months",
            ))  # fmt: skip
    return out

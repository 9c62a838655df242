from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from plans.fiscal import YearMonth, fiscal_months
from plans.model import ParsedProject, PlanStep, Problem
from plans.validate import validate

D = Decimal
FY = 2566
OCT, NOV, DEC = fiscal_months(FY)[:3]


def step(no: str, weight: str | None, *months: YearMonth, row: int | None = None) -> PlanStep:
    return PlanStep(no, f"ขั้นตอน {no}", None if weight is None else D(weight), months, row)


def project(
    *steps: PlanStep,
    cumulative: list[str | None] | None = None,
    total: str | None = None,
    total_cumulative: str | None = None,
    fiscal_year: int | None = FY,
    name: str = "โครงการทดสอบ",
    problems: list[Problem] | None = None,
) -> ParsedProject:
    return ParsedProject(
        name=name, code=None, kpi=None, policy=None, unit=None, fiscal_year=fiscal_year,
        budget=None, responsible=None, steps=list(steps),
        declared_cumulative=[None if c is None else D(c) for c in cumulative]
        if cumulative is not None else [None] * len(steps),
        declared_total=None if total is None else D(total), problems=list(problems or []),
        source_line=1,
        declared_total_cumulative=None if total_cumulative is None else D(total_cumulative),
    )  # fmt: skip


def codes(p: ParsedProject) -> list[tuple[str, str]]:
    return [(x.level, x.code) for x in p.problems]


GOOD = project(step("1", "30", OCT), step("2", "70", NOV, DEC), cumulative=["30", "100"],
               total="100", total_cumulative="100")  # fmt: skip


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (GOOD, []),
        # the last project of seed 000: weights 75, total row 100, its running total 85
        (
            project(
                step("1", "10"), step("2", "10"), step("3", "10"), step("4", "20"),
                step("5", "10"), step("6", "15"),
                cumulative=["10", "20", "30", "50", "60", "75"], total="100",
                total_cumulative="85",
            ),
            [
                ("error", "weights_not_100"),
                ("error", "total_row_mismatch"),
                ("error", "total_row_cumulative_mismatch"),
                ("warning", "no_monthly_plan"),
            ],
        ),
        # weights add to 100: disagreeing running totals and total row only warn
        (
            project(step("1", "30", OCT), step("2", "70", NOV), cumulative=["30", "90"],
                    total="90", total_cumulative="90"),
            [
                ("warning", "total_row_mismatch"),
                ("warning", "total_row_cumulative_mismatch"),
                ("warning", "cumulative_mismatch"),
            ],
        ),
        # weights do not add to 100 and the running totals disagree as well
        (
            project(step("1", "30", OCT), step("2", "60", NOV), cumulative=["30", "100"]),
            [("error", "weights_not_100"), ("error", "cumulative_mismatch")],
        ),
        (project(step("1", "40", OCT), step("2", None, NOV)), [("error", "missing_weight")]),
        (project(step("1", "50", OCT), step("1", "50", NOV)), [("error", "duplicate_step_no")]),
        (
            project(step("1", "120", OCT), step("2", "-20", NOV)),
            [("error", "weight_out_of_range"), ("error", "weight_out_of_range")],
        ),
        (
            project(step("1", "50", YearMonth(2022, 9)), step("2", "50", OCT)),
            [("error", "month_outside_fiscal_year")],
        ),
        (
            project(step("1", "100", OCT), fiscal_year=None),
            [("error", "missing_fiscal_year")],
        ),
        (project(step("1", "100")), [("warning", "no_monthly_plan")]),
        (
            project(step("1", "50", OCT), step("2", "50")),
            [("warning", "step_without_months")],
        ),
        (project(), [("error", "no_steps")]),
        (replace(GOOD, name="  "), [("error", "missing_project_name")]),
    ],
)  # fmt: skip
def test_validate(case: ParsedProject, expected: list[tuple[str, str]]) -> None:
    checked = validate(case)
    assert codes(checked) == expected
    assert checked.is_valid == all(level == "warning" for level, _ in expected)
    assert validate(checked) == checked  # running it again changes nothing
    assert checked.steps == case.steps  # never silently fixed


def test_messages_are_in_thai_and_english_and_point_at_the_row() -> None:
    checked = validate(project(step("1", "40", OCT, row=12), step("2", None, NOV, row=13)))
    (problem,) = checked.problems
    assert problem.message_th == "ขั้นตอนที่ 2 ยังไม่ได้ระบุเนื้องาน (ร้อยละ) กรุณาระบุ"
    assert problem.message_en == "Step 2 has no weight (percent); please give one."
    assert (problem.row, problem.column) == (13, "weight")


def test_weights_sum_message_names_the_numbers() -> None:
    checked = validate(project(step("1", "10"), step("2", "65"), total="100",
                               total_cumulative="85"))  # fmt: skip
    messages = [p.message_th for p in checked.errors]
    assert messages[0].startswith("เนื้องานของทุกขั้นตอนรวมกันได้ร้อยละ 75 ")
    assert "ระบุร้อยละ 100" in messages[1] and "ระบุ 85" in messages[2]
    assert "ร้อยละ 97.5 " in validate(project(step("1", "97.5", OCT))).errors[0].message_th


def test_month_outside_the_year_message_names_the_month() -> None:
    (problem,) = validate(project(step("1", "100", YearMonth(2023, 10)))).problems
    assert "ต.ค. 2566" in problem.message_th and "2023-10" in problem.message_en


@pytest.mark.parametrize(
    ("weights", "spread"),
    [
        ([None, None, None], ["33.33", "33.33", "33.34"]),
        ([None, None], ["50", "50"]),
        (["40", None, None], ["40", "30", "30"]),
        (["2.5", None], ["2.5", "97.5"]),
    ],
)
def test_equal_weights_spreads_what_is_left(weights: list[str | None], spread: list[str]) -> None:
    case = project(*(step(str(i + 1), w, OCT) for i, w in enumerate(weights)))
    checked = validate(case, equal_weights=True)
    assert [s.weight for s in checked.steps] == [D(w) for w in spread]
    assert codes(checked) == [("warning", "weights_spread_equally")]
    assert sum(s.weight or 0 for s in checked.steps) == 100
    assert validate(checked, equal_weights=True) == checked


def test_equal_weights_cannot_spread_when_nothing_is_left() -> None:
    case = project(step("1", "100", OCT), step("2", None, OCT))
    checked = validate(case, equal_weights=True)
    assert codes(checked) == [("error", "missing_weight")]


def test_equal_weights_warning_says_so_in_thai() -> None:
    case = project(step("1", None, OCT), step("2", None, OCT))
    (problem,) = validate(case, equal_weights=True).problems
    assert "แบ่ง" in problem.message_th and "เท่า ๆ กัน" in problem.message_th
    assert "shared equally" in problem.message_en


def test_problems_from_reading_are_kept_and_not_repeated() -> None:
    unreadable = Problem("error", "weight_not_a_number", "ไม่ใช่ตัวเลข", "not a number", 7, "weight")
    case = project(step("1", None, OCT, row=7), step("2", "100", OCT, row=8),
                   problems=[unreadable])  # fmt: skip
    checked = validate(case)
    assert checked.problems == [unreadable]  # no second "missing weight" for row 7
    assert not checked.is_valid

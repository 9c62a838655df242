"""Where a project stands against its plan on a day: pure, from its steps and its
latest report. Shared by the status answer, the summary and the report flow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from plans.fiscal import YearMonth
from plans.model import PlanStep
from plans.progress import Status, planned_percent, schedule_variance, status

CENT = Decimal("0.01")
BAR_CELLS = 10


@dataclass(frozen=True)
class Standing:
    planned: Decimal | None  # None: no monthly plan
    actual: Decimal  # 0 before the first report
    status: Status
    points: Decimal | None  # actual - planned
    months: Decimal | None  # + ahead, - behind
    due_now: tuple[PlanStep, ...]  # steps scheduled in this month


def standing(steps: Sequence[PlanStep], actual: Decimal | None, on: date, *, tolerance: Decimal = Decimal(0)) -> Standing:
    done = actual if actual is not None else Decimal(0)
    planned = planned_percent(steps, on)
    variance = schedule_variance(steps, done, on)
    this_month = YearMonth.of(on)
    return Standing(
        planned=None if planned is None else planned.quantize(CENT),
        actual=done.quantize(CENT),
        status=status(done, planned, tolerance),
        points=None if variance.points is None else variance.points.quantize(CENT),
        months=variance.months,
        due_now=tuple(s for s in steps if this_month in s.months),
    )


def percent(value: Decimal | None) -> str:
    """``Decimal("40.00") -> "40%"``, ``Decimal("16.56") -> "16.56%"``; None -> "-"."""
    if value is None:
        return "-"
    text = format(value.quantize(CENT).normalize(), "f")
    return f"{text}%"


def bar(value: Decimal) -> str:
    filled = int((max(Decimal(0), min(Decimal(100), value)) * BAR_CELLS / 100).to_integral_value())
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def baht(value: Decimal | None) -> str:
    """``Decimal("12500.00") -> "12,500"``, ``Decimal("12500.5") -> "12,500.50"``; None -> "-"."""
    if value is None:
        return "-"
    return f"{value:,.2f}".removesuffix(".00")

"""Where a unit stands this fiscal month: pure data, computed from plain rows.

One ``Summary`` per question: per unit, which projects reported this month and
which have not, how many are on plan, ahead or behind (the behind ones with
their gap), and the budget disbursed against the budget received. The chat's
`สรุป`, the coordinator's scheduled digest and the export's summary sheet all
read it; rendering is elsewhere (bot/status_cards.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from plans.fiscal import YearMonth
from plans.progress import Status, status

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ProjectStanding:
    id: int
    name: str
    code: str | None
    unit_id: int
    unit: str
    planned: Decimal | None  # None: no monthly plan
    actual: Decimal | None  # None: never reported
    status: Status
    points: Decimal | None  # actual - planned, percentage points
    last_number: int | None
    last_reported_on: date | None
    reported_this_month: bool
    budget: Decimal | None
    disbursed: Decimal

    def days_since(self, today: date) -> int | None:
        return None if self.last_reported_on is None else (today - self.last_reported_on).days


@dataclass(frozen=True)
class UnitSummary:
    unit_id: int
    unit: str
    projects: tuple[ProjectStanding, ...]

    @cached_property
    def reported(self) -> list[ProjectStanding]:
        return [p for p in self.projects if p.reported_this_month]

    @cached_property
    def missing(self) -> list[ProjectStanding]:
        return [p for p in self.projects if not p.reported_this_month]

    def with_status(self, wanted: Status) -> list[ProjectStanding]:
        return [p for p in self.projects if p.status is wanted]

    @cached_property
    def behind(self) -> list[ProjectStanding]:
        """Behind plan, the furthest behind first."""
        return sorted(self.with_status(Status.BEHIND), key=lambda p: (p.points or ZERO, p.id))

    @cached_property
    def received(self) -> Decimal:
        return sum((p.budget or ZERO for p in self.projects), ZERO)

    @cached_property
    def disbursed(self) -> Decimal:
        return sum((p.disbursed for p in self.projects), ZERO)


@dataclass(frozen=True)
class Summary:
    on: date
    fiscal_year: int
    units: tuple[UnitSummary, ...]
    other_years: int = 0  # visible projects of other fiscal years, not counted

    @cached_property
    def projects(self) -> list[ProjectStanding]:
        return [p for unit in self.units for p in unit.projects]

    def count(self, wanted: Status) -> int:
        return sum(1 for p in self.projects if p.status is wanted)

    @cached_property
    def reported(self) -> int:
        return sum(1 for p in self.projects if p.reported_this_month)

    @cached_property
    def behind(self) -> list[ProjectStanding]:
        return sorted((p for u in self.units for p in u.behind), key=lambda p: (p.points or ZERO, p.id))

    @cached_property
    def missing(self) -> list[ProjectStanding]:
        return [p for u in self.units for p in u.missing]

    @cached_property
    def received(self) -> Decimal:
        return sum((u.received for u in self.units), ZERO)

    @cached_property
    def disbursed(self) -> Decimal:
        return sum((u.disbursed for u in self.units), ZERO)


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What the summary needs of one project, as plain values."""

    id: int
    name: str
    code: str | None
    unit_id: int
    unit: str
    budget: Decimal | None
    planned: Decimal | None  # the plan on the day asked about; None: no monthly plan
    last_number: int | None = None
    last_reported_on: date | None = None
    last_percent: Decimal | None = None
    disbursed: Decimal = ZERO


def project_standing(facts: ProjectFacts, today: date, *, tolerance: Decimal = ZERO) -> ProjectStanding:
    planned = facts.planned
    done = facts.last_percent if facts.last_percent is not None else ZERO
    month = YearMonth.of(today)
    return ProjectStanding(
        id=facts.id, name=facts.name, code=facts.code, unit_id=facts.unit_id, unit=facts.unit,
        planned=None if planned is None else planned.quantize(CENT),
        actual=None if facts.last_percent is None else facts.last_percent.quantize(CENT),
        status=status(done, planned, tolerance),
        points=None if planned is None else (done - planned).quantize(CENT),
        last_number=facts.last_number, last_reported_on=facts.last_reported_on,
        reported_this_month=facts.last_reported_on is not None and YearMonth.of(facts.last_reported_on) == month,
        budget=facts.budget, disbursed=facts.disbursed,
    )  # fmt: skip


def summarise(
    facts: Iterable[ProjectFacts], today: date, fiscal_year: int, *, tolerance: Decimal = ZERO, other_years: int = 0
) -> Summary:
    """Group the projects by unit (units in name order, projects as given)."""
    by_unit: dict[int, list[ProjectStanding]] = {}
    for fact in facts:
        by_unit.setdefault(fact.unit_id, []).append(project_standing(fact, today, tolerance=tolerance))
    units = sorted(
        (UnitSummary(uid, rows[0].unit, tuple(rows)) for uid, rows in by_unit.items()), key=lambda u: u.unit
    )
    return Summary(on=today, fiscal_year=fiscal_year, units=tuple(units), other_years=other_years)


def summary_json(summary: Summary) -> dict[str, Any]:
    """The summary as plain JSON values (docs/EXPORT_JSON.md)."""
    return {
        "as_of": summary.on.isoformat(),
        "fiscal_year": summary.fiscal_year,
        "units": [
            {
                "unit": u.unit,
                "projects": len(u.projects),
                "reported_this_month": len(u.reported),
                "on_plan": len(u.with_status(Status.ON_TRACK)),
                "ahead": len(u.with_status(Status.AHEAD)),
                "behind": len(u.behind),
                "no_monthly_plan": len(u.with_status(Status.NO_PLAN)),
                "budget_received": _num(u.received),
                "budget_disbursed": _num(u.disbursed),
            }
            for u in summary.units
        ],
        "projects": [
            {
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "unit": p.unit,
                "planned_percent": _num(p.planned),
                "actual_percent": _num(p.actual),
                "status": p.status.name.lower(),
                "status_th": p.status.label_th,
                "gap_points": _num(p.points),
                "last_report": p.last_number,
                "last_reported_on": None if p.last_reported_on is None else p.last_reported_on.isoformat(),
                "reported_this_month": p.reported_this_month,
                "budget_received": _num(p.budget),
                "budget_disbursed": _num(p.disbursed),
            }
            for p in summary.projects
        ],
    }


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)

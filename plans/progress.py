"""Progress arithmetic for a project's step plan. Pure, Decimal throughout.

A project is a list of ``PlanStep``: each step has a weight ``w`` (its share of
the work in percent, the weights adding to 100) and the months it is
scheduled in. A step without a weight counts as 0 here; ``plans.validate``
rejects such plans before they get this far.

Actual progress (what the unit reports)::

    actual = Σ w(s) for completed s  +  f · w(p)       clamped to 0..100

where ``p`` is the one step in progress and ``f`` in 0..1 how far along it is
(ignored when ``p`` is also marked completed).

Planned progress at date ``d`` (what the plan says should be done by the end
of that day)::

    planned(d) = Σ w(s) · u(s, d) / n(s)                clamped to 0..100

where ``n(s)`` is the number of months ``s`` is scheduled in and ``u(s, d)``
how many of them have elapsed by ``d``: a whole month counts 1 once ``d`` is on
or past its last day, the current month counts ``day / days_in_month``. So a
step planned for Oct-Dec is 1/3 done on 31 Oct and 1/2 done on 15 Nov (1 + 15/30
of 3 months); a step whose months are over counts its full weight. Steps
without months contribute nothing; when no step has months there is no
monthly plan and ``planned`` is None.

Status compares the two: ``actual − planned`` within ``tolerance`` points is
on plan, above is ahead, below is behind.

Schedule variance is given two ways:

- ``points = actual − planned(d)``, percentage points;
- ``months``, an earned-schedule estimate: the plan, seen as a curve of planned
  percent over time in months (piecewise linear, with knots at month ends), is
  read backwards to find when it shows exactly ``actual``. Where the plan is
  flat at that value (a stretch with nothing scheduled), the point of that
  stretch closest to today is used, so ``months == 0`` exactly when
  ``actual == planned``. ``months = t(actual) − t(d)``: negative is behind,
  positive is ahead. When ``actual`` is beyond all the plan ever reaches, the
  time the plan reaches its end stands in for ``t(actual)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

from plans.fiscal import YearMonth
from plans.model import PlanStep

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class Status(Enum):
    ON_TRACK = "เป็นไปตามแผน"
    AHEAD = "เร็วกว่าแผน"
    BEHIND = "ล่าช้ากว่าแผน"
    NO_PLAN = "ไม่มีแผนรายเดือน"

    @property
    def label_th(self) -> str:
        return self.value

    @property
    def label_en(self) -> str:
        return {
            Status.ON_TRACK: "on plan",
            Status.AHEAD: "ahead of plan",
            Status.BEHIND: "behind plan",
            Status.NO_PLAN: "no monthly plan",
        }[self]


class Variance(NamedTuple):
    """``points``: actual − planned in percentage points; ``months``: how far
    ahead (+) or behind (−) the plan the actual progress is, in months (two
    decimals). Both None when the plan has no months."""

    points: Decimal | None
    months: Decimal | None


def _clamp(value: Decimal, low: Decimal = ZERO, high: Decimal = HUNDRED) -> Decimal:
    return max(low, min(high, value))


def _weight(step: PlanStep) -> Decimal:
    return step.weight if step.weight is not None else ZERO


def _decimal(value: Decimal | int | float | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cumulative(weights: Iterable[Decimal | None]) -> list[Decimal]:
    """Running totals: ``[10, 20, 5] -> [10, 30, 35]`` (None counts as 0)."""
    total = ZERO
    out: list[Decimal] = []
    for weight in weights:
        total += weight if weight is not None else ZERO
        out.append(total)
    return out


def actual_percent(
    steps: Sequence[PlanStep],
    completed: Iterable[str],
    in_progress: tuple[str, Decimal] | None = None,
) -> Decimal:
    """Percent of the work done: completed steps plus a fraction of the one in
    progress. Unknown step numbers raise ValueError."""
    by_no = {step.no: step for step in steps}
    done = set(completed)
    unknown = sorted(done - by_no.keys())
    if unknown:
        raise ValueError(f"unknown step number(s): {', '.join(unknown)}")
    total = sum((_weight(by_no[no]) for no in done), ZERO)
    if in_progress is not None:
        no, fraction = in_progress
        if no not in by_no:
            raise ValueError(f"unknown step number: {no}")
        if no not in done:
            total += _clamp(_decimal(fraction), ZERO, Decimal(1)) * _weight(by_no[no])
    return _clamp(total)


def _month_elapsed(month: YearMonth, at: date) -> Decimal:
    if at < month.first_day:
        return ZERO
    if at >= month.last_day:
        return Decimal(1)
    return Decimal(at.day) / Decimal(month.days)


def _step_planned(step: PlanStep, at: date) -> Decimal:
    months = sorted(set(step.months))
    if not months or at < months[0].first_day:
        return ZERO
    if at >= months[-1].last_day:
        return _weight(step)
    elapsed = sum((_month_elapsed(m, at) for m in months), ZERO)
    return _weight(step) * elapsed / len(months)


def planned_percent(steps: Sequence[PlanStep], at: date) -> Decimal | None:
    """Percent of the work the plan says is done by the end of ``at``, or None
    when no step is scheduled in any month."""
    if not any(step.months for step in steps):
        return None
    return _clamp(sum((_step_planned(step, at) for step in steps), ZERO))


class Span(NamedTuple):
    """A step as stored: its weight and the ordinals of its first and last month
    (contiguous; both None when it has no months). Summaries of thousands of
    projects compute the planned percent from these without building ``PlanStep``."""

    weight: Decimal
    first: int | None
    last: int | None


def planned_from_spans(spans: Sequence[Span], at: date) -> Decimal | None:
    """``planned_percent`` for contiguous spans: the same formula, the same result."""
    now = YearMonth.of(at)
    current = now.ordinal
    fraction = Decimal(1) if at >= now.last_day else Decimal(at.day) / Decimal(now.days)
    total = ZERO
    scheduled = False
    for weight, first, last in spans:
        if first is None or last is None:
            continue
        scheduled = True
        if current < first:
            continue
        if current > last or (current == last and fraction == 1):
            total += weight
            continue
        total += weight * ((current - first) + fraction) / (last - first + 1)
    return _clamp(total) if scheduled else None


def status(actual: Decimal, planned: Decimal | None, tolerance: Decimal = ZERO) -> Status:
    if planned is None:
        return Status.NO_PLAN
    diff = actual - planned
    if abs(diff) <= tolerance:
        return Status.ON_TRACK
    return Status.AHEAD if diff > 0 else Status.BEHIND


def _position(at: date) -> Decimal:
    """``at`` on the month axis: month ordinal plus the elapsed part of it."""
    month = YearMonth.of(at)
    return month.ordinal + Decimal(at.day) / Decimal(month.days)


def _plan_curve(steps: Sequence[PlanStep]) -> tuple[list[int], list[Decimal]]:
    """Knots (month ordinals, each meaning "start of that month") and the
    planned percent at each; the curve is linear in between."""
    ordinals = [m.ordinal for step in steps for m in step.months]
    knots = list(range(min(ordinals), max(ordinals) + 2))
    values = [
        planned_percent(steps, YearMonth.from_ordinal(k - 1).last_day) or ZERO for k in knots
    ]
    return knots, values


def _time_range_at(knots: list[int], values: list[Decimal], v: Decimal) -> tuple[
    Decimal | None, Decimal | None
]:
    """The interval of times at which the plan shows exactly ``v`` (None for
    an open end); if the plan never reaches ``v``, from when it peaks on."""
    t_low: Decimal | None
    t_high: Decimal | None
    reached = [k for k, value in enumerate(values) if value >= v]
    if not reached:
        peak = values.index(values[-1])
        return Decimal(knots[peak]), None
    k = reached[0]
    if k == 0:
        t_low = None
    else:
        step = (v - values[k - 1]) / (values[k] - values[k - 1])
        t_low = knots[k - 1] + step
    below = [k for k, value in enumerate(values) if value <= v]
    k = below[-1] if below else 0
    if k == len(values) - 1:
        t_high = None
    else:
        step = (v - values[k]) / (values[k + 1] - values[k])
        t_high = knots[k] + step
    return t_low, t_high


def schedule_variance(steps: Sequence[PlanStep], actual: Decimal, at: date) -> Variance:
    planned = planned_percent(steps, at)
    if planned is None:
        return Variance(None, None)
    knots, values = _plan_curve(steps)
    now = _position(at)
    t_low, t_high = _time_range_at(knots, values, actual)
    target = now
    if t_low is not None and target < t_low:
        target = t_low
    if t_high is not None and target > t_high:
        target = t_high
    return Variance(actual - planned, (target - now).quantize(_CENT))

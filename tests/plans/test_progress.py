from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.fiscal import YearMonth, fiscal_end, fiscal_months, fiscal_start
from plans.model import PlanStep
from plans.progress import (
    Status,
    Variance,
    actual_percent,
    cumulative,
    planned_percent,
    schedule_variance,
    status,
)

D = Decimal
FY = 2566
MONTHS = fiscal_months(FY)  # Oct 2022 .. Sep 2023


def span(first: int, last: int) -> tuple[YearMonth, ...]:
    """Fiscal positions (0 = October) to months."""
    return tuple(MONTHS[first : last + 1])


# 30% over Oct-Dec, 70% over Jan-Feb.
TWO = [PlanStep("1", "เตรียมการ", D(30), span(0, 2)), PlanStep("2", "ดำเนินการ", D(70), span(3, 4))]
# Weights from the first seed project: 5, 5, 40, 40, 5, 5 with sub-steps.
SEED = [
    PlanStep("1.1", "ประชุม", D(5), span(0, 0)),
    PlanStep("1.2", "ชี้แจง", D(5), span(1, 1)),
    PlanStep("2.1", "IIT/EIT", D(40), span(2, 5)),
    PlanStep("2.2", "OIT", D(40), span(6, 8)),
    PlanStep("3", "สรุปผล", D("2.5"), span(9, 10)),
    PlanStep("4", "ประกาศผล", D("7.5"), span(11, 11)),
]


@pytest.mark.parametrize(
    ("weights", "totals"),
    [
        ([], []),
        ([D(10), D(20), D(5)], [D(10), D(30), D(35)]),
        ([D("2.5"), D("7.5"), D(90)], [D("2.5"), D(10), D(100)]),
        ([D(5), None, D(5)], [D(5), D(5), D(10)]),
    ],
)
def test_cumulative(weights: list[Decimal | None], totals: list[Decimal]) -> None:
    assert cumulative(weights) == totals


@pytest.mark.parametrize(
    ("completed", "in_progress", "expected"),
    [
        (set(), None, D(0)),
        ({"1"}, None, D(30)),
        ({"1", "2"}, None, D(100)),
        ({"1"}, ("2", D("0.5")), D(65)),
        (set(), ("1", D("0.1")), D(3)),
        (set(), ("2", D("1.7")), D(70)),  # fraction clamped to 1
        (set(), ("2", D("-1")), D(0)),  # and to 0
        ({"2"}, ("2", D("0.5")), D(70)),  # already completed: counted once
        ({"1"}, ("2", 0.25), D("47.5")),  # a float fraction is accepted
    ],
)
def test_actual_percent(
    completed: set[str], in_progress: tuple[str, Decimal] | None, expected: Decimal
) -> None:
    assert actual_percent(TWO, completed, in_progress) == expected


def test_actual_percent_is_clamped_to_100() -> None:
    heavy = [PlanStep("1", "a", D(80), ()), PlanStep("2", "b", D(80), ())]
    assert actual_percent(heavy, {"1", "2"}) == D(100)


def test_actual_percent_with_decimal_weights() -> None:
    assert actual_percent(SEED, {"1.1", "1.2", "3"}) == D("12.5")


@pytest.mark.parametrize(("completed", "in_progress"), [({"9"}, None), (set(), ("9", D("0.5")))])
def test_actual_percent_rejects_unknown_steps(
    completed: set[str], in_progress: tuple[str, Decimal] | None
) -> None:
    with pytest.raises(ValueError, match="9"):
        actual_percent(TWO, completed, in_progress)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (date(2022, 9, 30), D(0)),  # before the plan
        (date(2022, 10, 31), D(10)),  # end of Oct: 1/3 of the Oct-Dec step
        (date(2022, 11, 15), D(15)),  # 1 + 15/30 of 3 months
        (date(2022, 11, 30), D(20)),
        (date(2022, 12, 31), D(30)),  # step 1 over: its full weight
        (date(2023, 1, 31), D(65)),  # 30 + half of 70
        (date(2023, 2, 14), D(30) + D(70) * (1 + D(14) / 28) / 2),
        (date(2023, 2, 28), D(100)),
        (date(2023, 9, 30), D(100)),
    ],
)
def test_planned_percent(at: date, expected: Decimal) -> None:
    assert planned_percent(TWO, at) == expected


def test_planned_percent_none_without_months() -> None:
    steps = [PlanStep("1", "a", D(50), ()), PlanStep("2", "b", D(50), ())]
    assert planned_percent(steps, date(2023, 1, 1)) is None


def test_steps_without_months_do_not_count_in_the_plan() -> None:
    steps = [PlanStep("1", "a", D(50), span(0, 0)), PlanStep("2", "b", D(50), ())]
    assert planned_percent(steps, date(2023, 9, 30)) == D(50)


@pytest.mark.parametrize(
    ("actual", "planned", "tolerance", "expected"),
    [
        (D(50), D(50), D(0), Status.ON_TRACK),
        (D(60), D(50), D(0), Status.AHEAD),
        (D(40), D(50), D(0), Status.BEHIND),
        (D(48), D(50), D(5), Status.ON_TRACK),
        (D(56), D(50), D(5), Status.AHEAD),
        (D(40), None, D(0), Status.NO_PLAN),
    ],
)
def test_status(
    actual: Decimal, planned: Decimal | None, tolerance: Decimal, expected: Status
) -> None:
    assert status(actual, planned, tolerance) is expected


def test_status_labels() -> None:
    assert [s.label_th for s in Status] == [
        "เป็นไปตามแผน", "เร็วกว่าแผน", "ล่าช้ากว่าแผน", "ไม่มีแผนรายเดือน"
    ]  # fmt: skip
    assert Status.BEHIND.label_en == "behind plan"


@pytest.mark.parametrize(
    ("actual", "at", "expected"),
    [
        (D(10), date(2022, 10, 31), Variance(D(0), D("0.00"))),
        (D(20), date(2022, 10, 31), Variance(D(10), D("1.00"))),  # a month ahead
        (D(30), date(2023, 1, 31), Variance(D(-35), D("-1.00"))),  # a month behind
        (D(0), date(2022, 11, 30), Variance(D(-20), D("-2.00"))),
        (D(0), date(2022, 9, 15), Variance(D(0), D("0.00"))),  # plan not started yet
        (D(100), date(2022, 10, 31), Variance(D(90), D("4.00"))),  # done; plan ends Feb
        (D(30), date(2022, 12, 31), Variance(D(0), D("0.00"))),
    ],
)
def test_schedule_variance(actual: Decimal, at: date, expected: Variance) -> None:
    assert schedule_variance(TWO, actual, at) == expected


def test_schedule_variance_uses_the_nearest_point_of_a_flat_plan() -> None:
    # Nothing is scheduled Dec-Jan: the plan stays at 50 for two months.
    steps = [PlanStep("1", "a", D(50), span(0, 1)), PlanStep("2", "b", D(50), span(4, 4))]
    assert schedule_variance(steps, D(50), date(2023, 1, 15)).months == D(0)
    assert schedule_variance(steps, D(50), date(2023, 2, 14)).months == D("-0.50")
    assert schedule_variance(steps, D(50), date(2022, 10, 31)).months == D("1.00")


def test_schedule_variance_without_months() -> None:
    assert schedule_variance([PlanStep("1", "a", D(100), ())], D(10), date(2023, 1, 1)) == (
        Variance(None, None)
    )


# ---- properties ------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn, *, sequential: bool = False) -> list[PlanStep]:
    """Steps with weights adding to 100 (in tenths) and months within FY 2566;
    with ``sequential`` each step starts after the one before ends."""
    n = draw(st.integers(min_value=1, max_value=8))
    cuts = sorted(draw(st.lists(st.integers(0, 1000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 1000]
    weights = [D(b - a) / 10 for a, b in zip(bounds, bounds[1:], strict=False)]
    if sequential:
        edges = sorted(draw(st.lists(st.integers(0, 11), min_size=n, max_size=n, unique=True)))
        starts = [0, *[e + 1 for e in edges[:-1]]]
        spans = [span(s, e) for s, e in zip(starts, edges, strict=True)]
    else:
        spans = []
        for i in range(n):  # the first step always has months, others may not
            first = draw(st.integers(0, 11))
            last = draw(st.integers(first, 11))
            spans.append(span(first, last) if i == 0 or draw(st.booleans()) else ())
    return [PlanStep(str(i + 1), f"ขั้นตอน {i + 1}", w, s) for i, (w, s) in
            enumerate(zip(weights, spans, strict=False))]  # fmt: skip


days = st.dates(min_value=fiscal_start(FY) - timedelta(days=40),
                max_value=fiscal_end(FY) + timedelta(days=40))  # fmt: skip


@given(plans(), st.data())
def test_actual_stays_within_0_and_100(steps: list[PlanStep], data: st.DataObject) -> None:
    nos = [s.no for s in steps]
    done = data.draw(st.sets(st.sampled_from(nos)))
    progress = data.draw(st.none() | st.tuples(st.sampled_from(nos), st.decimals(-2, 2, places=2)))
    assert D(0) <= actual_percent(steps, done, progress) <= D(100)


@given(plans(), st.data())
def test_actual_is_monotone_in_completed_steps(steps: list[PlanStep], data: st.DataObject) -> None:
    nos = [s.no for s in steps]
    more = data.draw(st.sets(st.sampled_from(nos)))
    fewer = data.draw(st.sets(st.sampled_from(sorted(more)))) if more else set()
    assert actual_percent(steps, fewer) <= actual_percent(steps, more)
    assert actual_percent(steps, set(nos)) == D(100)


@given(plans(), days, days)
def test_planned_stays_within_0_and_100_and_grows_with_time(
    steps: list[PlanStep], d1: date, d2: date
) -> None:
    early, late = sorted((d1, d2))
    p_early, p_late = planned_percent(steps, early), planned_percent(steps, late)
    assert p_early is not None and p_late is not None
    assert D(0) <= p_early <= p_late <= D(100)


@given(plans(sequential=True))
def test_planned_at_each_step_end_equals_the_running_total(steps: list[PlanStep]) -> None:
    totals = cumulative(s.weight for s in steps)
    for step, total in zip(steps, totals, strict=True):
        assert planned_percent(steps, step.months[-1].last_day) == total
    assert planned_percent(steps, fiscal_end(FY)) == D(100)


@given(plans(), days, st.decimals(0, 100, places=1))
def test_schedule_variance_agrees_with_points(steps: list[PlanStep], at: date, actual: Decimal
                                              ) -> None:  # fmt: skip
    points, months = schedule_variance(steps, actual, at)
    assert points is not None and months is not None
    if points == 0:
        assert months == 0
    elif points > 0:
        assert months >= 0
    else:
        assert months <= 0


@pytest.mark.parametrize("day", [date(2026, 9, 30), date(2026, 10, 1), date(2026, 11, 15), date(2026, 12, 31),
                                 date(2027, 2, 28), date(2027, 6, 3), date(2027, 9, 30), date(2027, 10, 1)])
def test_planned_from_spans_agrees_with_planned_percent(day: date) -> None:
    from plans.progress import Span, planned_from_spans

    steps = [
        PlanStep("1", "a", Decimal(10), tuple(YearMonth.from_ordinal(o) for o in range(2026 * 12 + 9, 2026 * 12 + 12))),
        PlanStep("2", "b", Decimal("33.5"), (YearMonth(2027, 2),)),
        PlanStep("3", "c", Decimal("56.5"), tuple(YearMonth.from_ordinal(o) for o in range(2027 * 12, 2027 * 12 + 9))),
        PlanStep("4", "d", Decimal(0), ()),
    ]
    spans = [Span(s.weight or Decimal(0), s.months[0].ordinal if s.months else None,
                  s.months[-1].ordinal if s.months else None) for s in steps]
    assert planned_from_spans(spans, day) == planned_percent(steps, day)
    assert planned_from_spans([Span(Decimal(100), None, None)], day) is None

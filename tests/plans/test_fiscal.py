from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.fiscal import (
    YearMonth,
    fiscal_end,
    fiscal_months,
    fiscal_start,
    fiscal_year_of,
    month_index,
    parse_month_span,
)


def ym(key: str) -> YearMonth:
    return YearMonth.from_key(key)


def keys(months: list[YearMonth]) -> list[str]:
    return [m.key for m in months]


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (date(2022, 10, 1), 2566),
        (date(2022, 9, 30), 2565),
        (date(2023, 9, 30), 2566),
        (date(2023, 1, 16), 2566),
        (date(2026, 10, 1), 2570),
        (date(2027, 9, 30), 2570),
        (date(2022, 12, 31), 2566),
    ],
)
def test_fiscal_year_of(day: date, fy: int) -> None:
    assert fiscal_year_of(day) == fy


def test_fiscal_year_bounds() -> None:
    assert (fiscal_start(2566), fiscal_end(2566)) == (date(2022, 10, 1), date(2023, 9, 30))
    assert (fiscal_start(2570), fiscal_end(2570)) == (date(2026, 10, 1), date(2027, 9, 30))


def test_fiscal_months_run_october_to_september() -> None:
    assert keys(fiscal_months(2566)) == [
        "2022-10", "2022-11", "2022-12", "2023-01", "2023-02", "2023-03",
        "2023-04", "2023-05", "2023-06", "2023-07", "2023-08", "2023-09",
    ]  # fmt: skip
    assert fiscal_months(2570)[0] == YearMonth(2026, 10)


@pytest.mark.parametrize(
    ("key", "index"), [("2022-10", 0), ("2022-12", 2), ("2023-01", 3), ("2023-09", 11)]
)
def test_month_index(key: str, index: int) -> None:
    assert month_index(2566, ym(key)) == index


@pytest.mark.parametrize("key", ["2022-09", "2023-10", "2021-10"])
def test_month_index_outside_the_year_raises(key: str) -> None:
    with pytest.raises(ValueError, match="not in fiscal year 2566"):
        month_index(2566, ym(key))


def test_year_month_basics() -> None:
    month = YearMonth(2022, 10)
    assert month.key == str(month) == "2022-10"
    assert month.thai() == "ต.ค. 2565" and month.thai(short_year=True) == "ต.ค. 65"
    assert month.next() == YearMonth(2022, 11) and YearMonth(2022, 12).next() == YearMonth(2023, 1)
    assert (month.first_day, month.last_day) == (date(2022, 10, 1), date(2022, 10, 31))
    assert month.days == 31
    assert YearMonth(2024, 2).days == 29
    assert sorted([YearMonth(2023, 1), YearMonth(2022, 12)])[0] == YearMonth(2022, 12)
    assert YearMonth.from_key("๒๐๒๒-๑๐") == month
    with pytest.raises(ValueError):
        YearMonth(2022, 13)
    with pytest.raises(ValueError):
        YearMonth.from_key("10/2022")


@pytest.mark.parametrize(
    ("text", "fy", "first", "last"),
    [
        ("ต.ค.-ธ.ค. 65", None, "2022-10", "2022-12"),
        ("ต.ค. 65 - ม.ค. 66", None, "2022-10", "2023-01"),
        ("2022-10..2022-12", None, "2022-10", "2022-12"),
        ("2022-10", None, "2022-10", "2022-10"),
        ("ม.ค. 2566", None, "2023-01", "2023-01"),
        ("ม.ค. ๒๕๖๖", None, "2023-01", "2023-01"),
        ("พ.ย.-ก.พ. 66", None, "2022-11", "2023-02"),
        ("ตค-ธค 65", None, "2022-10", "2022-12"),
        ("ต.ค - ธ.ค 65", None, "2022-10", "2022-12"),
        ("ตุลาคม 2565 ถึง กันยายน 2566", None, "2022-10", "2023-09"),
        ("ต.ค. 2565 – มี.ค. 2566", None, "2022-10", "2023-03"),
        ("2026-10 - 2027-03", None, "2026-10", "2027-03"),
        ("ต.ค.-ธ.ค.", 2566, "2022-10", "2022-12"),
        ("ธ.ค.-ก.พ.", 2570, "2026-12", "2027-02"),
        ("มิ.ย.", 2570, "2027-06", "2027-06"),
        ("ทั้งปี", 2570, "2026-10", "2027-09"),
        ("ก.ค.-ก.ย. 70", 2570, "2027-07", "2027-09"),
    ],
)
def test_parse_month_span(text: str, fy: int | None, first: str, last: str) -> None:
    months = parse_month_span(text, fy)
    assert (months[0].key, months[-1].key) == (first, last)
    assert [m.ordinal for m in months] == list(range(months[0].ordinal, months[-1].ordinal + 1))


@pytest.mark.parametrize(
    ("text", "fy"),
    [
        ("", None),
        ("เร็ว ๆ นี้", None),
        ("ต.ค.-ธ.ค.", None),
        ("ทั้งปี", None),
        ("2022-12..2022-10", None),
        ("ต.ค. 65 - ธ.ค.", None),
        ("ต.ค.-พ.ย.-ธ.ค. 65", None),
        ("2022-10..2022-11..2022-12", None),
        ("ต.ค. 20x5", None),
    ],
)
def test_parse_month_span_refuses(text: str, fy: int | None) -> None:
    with pytest.raises(ValueError):
        parse_month_span(text, fy)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_falls_in_its_fiscal_year(day: date) -> None:
    fy = fiscal_year_of(day)
    assert fiscal_start(fy) <= day <= fiscal_end(fy)
    assert YearMonth.of(day) in fiscal_months(fy)
    assert fiscal_year_of(fiscal_end(fy) + timedelta(days=1)) == fy + 1


@given(st.integers(min_value=2500, max_value=2650))
def test_fiscal_months_are_consecutive_and_indexed(fy: int) -> None:
    months = fiscal_months(fy)
    assert len(months) == 12
    assert [month_index(fy, m) for m in months] == list(range(12))
    assert all(b.ordinal - a.ordinal == 1 for a, b in zip(months, months[1:], strict=False))
    assert all(fiscal_year_of(m.first_day) == fy for m in months)

"""The Thai government fiscal year and months within it.

A fiscal year runs 1 October - 30 September and is named by the Buddhist Era
year it ends in: FY 2566 = 1 Oct 2022 - 30 Sep 2023. Months are kept as
``YearMonth`` with the Christian Era year (``YearMonth(2022, 10).key == "2022-10"``)
so they sort and store plainly; Thai display is ``YearMonth.thai()``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from plans.thai import (
    BE_OFFSET,
    format_thai_month,
    parse_be_year,
    parse_thai_month,
    to_arabic_digits,
)

FISCAL_MONTH_ORDER = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)


@dataclass(frozen=True, order=True, slots=True)
class YearMonth:
    """A calendar month; ``year`` is Christian Era."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, got {self.month}")

    @classmethod
    def of(cls, day: date) -> YearMonth:
        return cls(day.year, day.month)

    @classmethod
    def from_key(cls, key: str) -> YearMonth:
        """``"2022-10" -> YearMonth(2022, 10)``."""
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", to_arabic_digits(key))
        if not m:
            raise ValueError(f"not a YYYY-MM month: {key!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def ordinal(self) -> int:
        """Months since year 0: consecutive months differ by one."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_ordinal(cls, ordinal: int) -> YearMonth:
        return cls(ordinal // 12, ordinal % 12 + 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    def next(self) -> YearMonth:
        return YearMonth.from_ordinal(self.ordinal + 1)

    def thai(self, *, short_year: bool = False) -> str:
        """``"ต.ค. 2565"`` (or ``"ต.ค. 65"``)."""
        return format_thai_month(self.year, self.month, short_year=short_year)

    def __str__(self) -> str:
        return self.key


def fiscal_year_of(day: date | YearMonth) -> int:
    """The fiscal year (BE) a date or month falls in: 2022-10-01 -> 2566."""
    year, month = day.year, day.month
    return year + BE_OFFSET + (1 if month >= 10 else 0)


def fiscal_start(fy: int) -> date:
    return date(fy - BE_OFFSET - 1, 10, 1)


def fiscal_end(fy: int) -> date:
    return date(fy - BE_OFFSET, 9, 30)


def fiscal_months(fy: int) -> list[YearMonth]:
    """The 12 months of a fiscal year in fiscal order, October first."""
    ce_end = fy - BE_OFFSET
    return [YearMonth(ce_end - 1 if m >= 10 else ce_end, m) for m in FISCAL_MONTH_ORDER]


def month_in_fiscal_year(fy: int, month: int) -> YearMonth:
    """Calendar month number -> that month inside fiscal year ``fy``."""
    ce_end = fy - BE_OFFSET
    return YearMonth(ce_end - 1 if month >= 10 else ce_end, month)


def month_index(fy: int, ym: YearMonth) -> int:
    """Position 0..11 of ``ym`` in fiscal year ``fy`` (October is 0)."""
    index = ym.ordinal - YearMonth(fy - BE_OFFSET - 1, 10).ordinal
    if not 0 <= index < 12:
        raise ValueError(f"{ym.key} is not in fiscal year {fy}")
    return index


def month_range(first: YearMonth, last: YearMonth) -> list[YearMonth]:
    if last < first:
        raise ValueError(f"month span runs backwards: {first.key} > {last.key}")
    return [YearMonth.from_ordinal(o) for o in range(first.ordinal, last.ordinal + 1)]


_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})(?!\d)")
_RANGE_SEPARATOR = re.compile(r"\s*(?:\.\.|–|—|ถึง|\bto\b|-)\s*")
_WHOLE_YEAR = ("ทั้งปี", "ตลอดปี", "ตลอดปีงบประมาณ", "ทั้งปีงบประมาณ", "12 เดือน")
# A Thai month (with or without dots) optionally followed by a year.
_THAI_MONTH_YEAR = re.compile(
    r"(?P<month>[ก-๙]{1,3}\.\s?[ก-๙]{1,2}\.?|[ก-๙]{2,12})\s*(?P<year>(?:พ\.?\s?ศ\.?\s*)?\d{2,4})?"
)


def parse_month_span(text: str, fy: int | None = None) -> list[YearMonth]:
    """Months named by ``text``, first to last inclusive.

    Accepts "ต.ค.-ธ.ค. 65", "ต.ค. 65 - ม.ค. 66", "ม.ค. 2566", "2022-10..2022-12",
    "2022-10", and, when ``fy`` is given, months without a year ("ต.ค.-ธ.ค.")
    and "ทั้งปี". One trailing year belongs to the last month; the first month
    falls in the year before when it comes later in the calendar
    ("พ.ย.-ก.พ. 66" = Nov 2565 - Feb 2566). Raises ValueError otherwise.
    """
    s = " ".join(to_arabic_digits(text or "").split())
    if not s:
        raise ValueError("no months given")
    if s in _WHOLE_YEAR:
        if fy is None:
            raise ValueError(f"{text!r} needs a fiscal year")
        return fiscal_months(fy)
    iso = _ISO_MONTH.findall(s)
    if iso and not _ISO_MONTH.sub("", s).replace(".", "").replace("-", "").strip():
        ends = [YearMonth(int(y), int(m)) for y, m in iso]
        if len(ends) > 2:
            raise ValueError(f"too many months in {text!r}")
        return month_range(ends[0], ends[-1])
    parts = [p for p in _RANGE_SEPARATOR.split(s) if p]
    if not 1 <= len(parts) <= 2:
        raise ValueError(f"cannot read months from {text!r}")
    ends_raw = [_thai_month_and_year(p, text) for p in parts]
    (m1, y1), (m2, y2) = ends_raw[0], ends_raw[-1]
    if y2 is None and y1 is not None and len(parts) == 2:
        raise ValueError(f"the last month in {text!r} has no year")
    if y2 is None:
        if fy is None:
            raise ValueError(f"{text!r} has no year and no fiscal year was given")
        first, last = month_in_fiscal_year(fy, m1), month_in_fiscal_year(fy, m2)
    else:
        last = YearMonth(y2 - BE_OFFSET, m2)
        if y1 is not None:
            first = YearMonth(y1 - BE_OFFSET, m1)
        else:
            first = YearMonth(last.year - (1 if m1 > m2 else 0), m1)
    return month_range(first, last)


def _thai_month_and_year(part: str, text: str) -> tuple[int, int | None]:
    m = _THAI_MONTH_YEAR.fullmatch(part.strip())
    month = parse_thai_month(m.group("month")) if m else None
    if m is None or month is None:
        raise ValueError(f"cannot read a month in {text!r}")
    year = parse_be_year(m.group("year")) if m.group("year") else None
    if m.group("year") and year is None:
        raise ValueError(f"cannot read the year in {text!r}")
    return month, year

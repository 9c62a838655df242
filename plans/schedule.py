"""When reminders, follow-ups and digests go out: pure calendar arithmetic.

A ``Schedule`` names days of the month (reminder 20, follow-ups 23 and 25, report
deadline 25, coordinator digest 26) and a time of day (09:00 in BOT_TIMEZONE). A
day that falls on a weekend, a Thai public holiday (the ``holidays`` package's
calendar for Thailand) or one of the BMA's own extra days off moves to the next
working day. A day past the end of a short month is its last day (31 -> 28 Feb).

An ``Occasion`` is one of those moments in one month; its ``key`` names it in the
send ledger ("reminder@2027-01-20", "followup2@2027-01-25", "digest@2027-01-26"),
so two runs that see the same occasion claim the same ledger row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from plans.fiscal import YearMonth
from plans.thai import to_arabic_digits

OccasionKind = str  # "reminder" | "followup" | "digest"


@dataclass(frozen=True)
class Schedule:
    reminder_day: int = 20
    followup_days: tuple[int, ...] = (23, 25)
    deadline_day: int = 25
    digest_day: int = 26
    at: time = time(9, 0)

    def problems(self) -> list[str]:
        """What is wrong with it, in Thai ("" list when it is usable)."""
        out: list[str] = []
        days = [self.reminder_day, *self.followup_days, self.deadline_day, self.digest_day]
        if any(not 1 <= d <= 31 for d in days):
            out.append("วันที่ต้องอยู่ระหว่าง 1 ถึง 31")
        if len(self.followup_days) > 3:
            out.append("ติดตามซ้ำได้ไม่เกิน 3 ครั้งต่อเดือน")
        if any(d <= self.reminder_day for d in self.followup_days):
            out.append("วันติดตามซ้ำต้องอยู่หลังวันแจ้งเตือน")
        if list(self.followup_days) != sorted(set(self.followup_days)):
            out.append("วันติดตามซ้ำต้องเรียงจากน้อยไปมากและไม่ซ้ำกัน")
        if any(d > self.deadline_day for d in self.followup_days) or self.reminder_day > self.deadline_day:
            out.append("วันแจ้งเตือนและวันติดตามต้องไม่เลยวันครบกำหนดรายงาน")
        if self.digest_day < self.deadline_day:
            out.append("วันส่งสรุปให้ผู้ประสานงานต้องไม่ก่อนวันครบกำหนดรายงาน")
        return out

    def describe(self) -> str:
        follow = ", ".join(str(d) for d in self.followup_days) or "-"
        return (f"แจ้งเตือนวันที่ {self.reminder_day} · ติดตามวันที่ {follow} · ครบกำหนดวันที่ {self.deadline_day}"
                f" · สรุปวันที่ {self.digest_day} · เวลา {self.at:%H:%M} น.")  # fmt: skip


class WorkingDays:
    """Weekdays that are neither a Thai public holiday nor an extra day off."""

    def __init__(self, extra: Mapping[date, str] | None = None) -> None:
        self._public = holiday_calendars.country_holidays("TH")
        self._extra = dict(extra or {})

    def day_off(self, day: date) -> str | None:
        """Why ``day`` is not a working day (None when it is one)."""
        if day in self._extra:
            return self._extra[day]
        if day in self._public:
            return str(self._public.get(day))
        if day.weekday() >= 5:
            return "วันหยุดสุดสัปดาห์"
        return None

    def on_or_after(self, day: date) -> date:
        while self.day_off(day) is not None:
            day += timedelta(days=1)
        return day


@dataclass(frozen=True, order=True)
class Occasion:
    at: datetime  # aware, when it is due (first field: occasions sort by time)
    kind: OccasionKind
    number: int  # 0 for the reminder and the digest, 1.. for the follow-ups
    month: YearMonth  # the month whose report it is about

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def key(self) -> str:
        return f"{self.kind}{self.number or ''}@{self.day.isoformat()}"


def nominal_day(month: YearMonth, day: int) -> date:
    return date(month.year, month.month, min(day, month.days))


def _occasion(schedule: Schedule, kind: str, number: int, month: YearMonth, day: int,
              days: WorkingDays, tz: ZoneInfo) -> Occasion:  # fmt: skip
    shifted = days.on_or_after(nominal_day(month, day))
    return Occasion(datetime.combine(shifted, schedule.at, tzinfo=tz), kind, number, month)


def reminder_occasions(schedule: Schedule, month: YearMonth, days: WorkingDays, tz: ZoneInfo) -> list[Occasion]:
    """The first reminder and the follow-ups of a month, in time order."""
    out = [_occasion(schedule, "reminder", 0, month, schedule.reminder_day, days, tz)]
    out += [_occasion(schedule, "followup", n, month, d, days, tz) for n, d in enumerate(schedule.followup_days, 1)]
    return sorted(out)


def digest_occasion(schedule: Schedule, month: YearMonth, days: WorkingDays, tz: ZoneInfo) -> Occasion:
    return _occasion(schedule, "digest", 0, month, schedule.digest_day, days, tz)


def around(now: datetime, tz: ZoneInfo) -> list[YearMonth]:
    """The month of ``now`` and the one before (a shifted day can spill over)."""
    this = YearMonth.of(now.astimezone(tz).date())
    return [YearMonth.from_ordinal(this.ordinal - 1), this]


@dataclass(frozen=True)
class Due:
    """The occasion to act on now (None: nothing), and any missed ones too old to send."""

    occasion: Occasion | None
    dropped: tuple[Occasion, ...] = ()


def latest_due(occasions: Iterable[Occasion], now: datetime, grace: timedelta) -> Due:
    """The latest occasion that has come (at <= now), if it is still within ``grace``.

    Earlier ones are coalesced into it: a clock that was down sends one message,
    the latest, never a burst of stale ones; one past the grace window is dropped."""
    # Occasions sort by time, then kind: on a day that holds both (a shifted reminder day
    # landing on a follow-up day) the first reminder wins, as "reminder" > "followup".
    past = sorted(o for o in occasions if o.at <= now)
    if not past:
        return Due(None)
    latest = past[-1]
    if now - latest.at > grace:
        return Due(None, (latest,))
    return Due(latest)


_DAYS = re.compile(r"[0-9]{1,2}")  # ASCII only, after Thai digits are read: \d takes other scripts too
_TIME = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})")


class NotADayOfTheMonth(ValueError):
    """A number typed as a day of the month that no month has (its text is Thai)."""


def parse_days(text: str) -> tuple[int, ...]:
    """"21,24" / "๒๑ ๒๔" -> (21, 24); ValueError when there is no day in it, and
    ``NotADayOfTheMonth`` for a number outside 1-31."""
    found = tuple(int(d) for d in _DAYS.findall(to_arabic_digits(text)))
    if not found and text.strip() not in ("-", "ไม่มี", "none"):
        raise ValueError(f"no day of the month in {text!r}")
    if any(not 1 <= day <= 31 for day in found):
        raise NotADayOfTheMonth("วันที่ต้องอยู่ระหว่าง 1 ถึง 31")
    return found


def parse_day(text: str) -> int:
    found = parse_days(text)
    if len(found) != 1:
        raise ValueError(f"one day of the month expected in {text!r}")
    return found[0]


def parse_time(text: str) -> time:
    """"08:30", "8.30", "๐๘:๓๐" -> 08:30; ValueError otherwise."""
    m = _TIME.fullmatch(to_arabic_digits(text).strip().removesuffix("น.").strip())
    if not m or not (0 <= int(m.group(1)) <= 23 and 0 <= int(m.group(2)) <= 59):
        raise ValueError(f"not a time of day: {text!r}")
    return time(int(m.group(1)), int(m.group(2)))


def format_days(days: Sequence[int]) -> str:
    return ",".join(str(d) for d in days)

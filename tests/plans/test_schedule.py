"""The reminder calendar: working-day shifts, occasions, catching up within the grace window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.fiscal import YearMonth
from plans.schedule import (
    Schedule,
    WorkingDays,
    digest_occasion,
    latest_due,
    parse_days,
    parse_time,
    reminder_occasions,
)

TZ = ZoneInfo("Asia/Bangkok")
DAYS = WorkingDays()


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # 20 Nov 2022 is a Sunday: Monday 21; 23 and 25 are weekdays.
        (YearMonth(2022, 11), [date(2022, 11, 21), date(2022, 11, 23), date(2022, 11, 25)]),
        # 20 May 2027 is Visakha Bucha (a Thursday): Friday 21; 23 May is a Sunday: Monday 24.
        (YearMonth(2027, 5), [date(2027, 5, 21), date(2027, 5, 24), date(2027, 5, 25)]),
        # 20 Jul 2027 is Asarnha Bucha (in lieu): Wednesday 21.
        (YearMonth(2027, 7), [date(2027, 7, 21), date(2027, 7, 23), date(2027, 7, 26)]),
    ],
)
def test_days_on_a_weekend_or_a_thai_holiday_move_to_the_next_working_day(month: YearMonth, expected: list[date]) -> None:
    assert [o.day for o in reminder_occasions(Schedule(), month, DAYS, TZ)] == expected


def test_an_extra_day_off_moves_the_day_too() -> None:
    days = WorkingDays({date(2023, 3, 20): "วันหยุดพิเศษของกรุงเทพมหานคร"})
    assert days.day_off(date(2023, 3, 20)) == "วันหยุดพิเศษของกรุงเทพมหานคร"
    assert reminder_occasions(Schedule(), YearMonth(2023, 3), days, TZ)[0].day == date(2023, 3, 21)


def test_occasions_have_their_time_keys_and_a_day_past_the_month_end_is_its_last_day() -> None:
    schedule = Schedule(reminder_day=18, followup_days=(21, 24), digest_day=31, at=time(8, 30))
    first = reminder_occasions(schedule, YearMonth(2027, 1), DAYS, TZ)[0]
    assert first.at == datetime(2027, 1, 18, 8, 30, tzinfo=TZ) and first.key == "reminder@2027-01-18"
    # 31 Feb -> 28 Feb 2027, a Sunday -> Monday 1 March.
    assert digest_occasion(schedule, YearMonth(2027, 2), DAYS, TZ).day == date(2027, 3, 1)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_the_shifted_day_is_always_a_working_day_and_never_earlier(day: date) -> None:
    moved = DAYS.on_or_after(day)
    assert moved >= day and moved.weekday() < 5 and DAYS.day_off(moved) is None
    assert all(DAYS.day_off(day + timedelta(days=n)) for n in range((moved - day).days))


def test_latest_due_coalesces_missed_occasions_and_drops_those_past_the_grace_window() -> None:
    occasions = reminder_occasions(Schedule(), YearMonth(2022, 11), DAYS, TZ)
    grace = timedelta(days=2)
    assert latest_due(occasions, datetime(2022, 11, 21, 8, 59, tzinfo=TZ), grace).occasion is None
    # Down from before the 21st until the 24th: only the follow-up of the 23rd, once.
    due = latest_due(occasions, datetime(2022, 11, 24, 12, 0, tzinfo=TZ), grace)
    assert due.occasion is not None and due.occasion.key == "followup1@2022-11-23"
    late = latest_due(occasions[:1], datetime(2022, 11, 24, 9, 1, tzinfo=TZ), grace)
    assert late.occasion is None and [o.key for o in late.dropped] == ["reminder@2022-11-21"]


def test_schedules_are_checked_and_typed_days_and_times_read() -> None:
    assert Schedule().problems() == []
    assert Schedule(reminder_day=24, followup_days=(23,)).problems()
    assert Schedule(digest_day=20).problems()
    assert parse_days("๒๑, ๒๔") == (21, 24) and parse_days("-") == ()
    assert parse_time("๐๘.๓๐") == time(8, 30) and parse_time("17:00 น.") == time(17, 0)
    with pytest.raises(ValueError):
        parse_time("25:00")


def test_a_reminder_day_moved_onto_a_follow_up_day_is_one_occasion_the_reminder() -> None:
    # 20 Feb 2027 is a Saturday, the 22nd Makha Bucha in lieu: the reminder moves to the 23rd.
    occasions = reminder_occasions(Schedule(), YearMonth(2027, 2), DAYS, TZ)
    due = latest_due(occasions, datetime(2027, 2, 23, 9, 0, tzinfo=TZ), timedelta(days=2))
    assert due.occasion is not None and due.occasion.key == "reminder@2027-02-23"

"""A whole fiscal year (FY 2566) of the clock, in frozen time, for the seed 003 plans
bound to three groups, with some reports arriving and some not."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import holidays
import time_machine

from bot.localline import Delivery
from scheduler import runs
from storage import reminders as repo
from tests.conftest import RunningBot
from tests.scheduler.reminder_setup import BANGKOK, Office, local, report, set_up

FY_START, FY_END = date(2022, 10, 1), date(2023, 9, 30)
EXTRA_DAY_OFF = date(2023, 3, 20)  # a Monday, the March reminder day


def _reports_of_the_day(office: Office, day: date) -> None:
    """P1: U1 every month on the 10th (before any reminder). P3: U2 on the 22nd (after
    the reminder, before the first follow-up). P7: U1 once, on 24 Oct. P8: U6 on the
    5th, 100% in December. P4 never reports; P2, P5 and P6 start in April or May and
    report on the 28th (after the follow-ups)."""
    if day.day == 10:
        report(office, 1, day, str(min(100, 8 * (day.month % 12 + 1))), "U1")
    if day.day == 22:
        report(office, 3, day, "30", "U2")
    if day == date(2022, 10, 24):
        report(office, 7, day, "10", "U1")
    if day.day == 5 and day <= date(2022, 12, 31):
        report(office, 8, day, "100" if day.month == 12 else "40", "U6")
    if day.day == 28 and day >= date(2023, 4, 1):
        for position in (2, 5, 6):
            report(office, position, day, "20", "U4" if position != 2 else "U3")


def _items(delivery: Delivery) -> list[int]:
    """The projects whose report buttons a reminder carries."""
    flex = next(m for m in delivery.messages if m["type"] == "flex")
    data = [c["action"]["data"] for c in flex["contents"]["body"]["contents"] if c.get("type") == "button"]
    return [int(d.rsplit("=", 1)[1]) for d in data]


def test_a_year_of_reminders_follow_ups_and_digests(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    office = set_up(bot)
    with bot.services.sessions() as session, session.begin():
        repo.add_holiday(session, EXTRA_DAY_OFF, "วันหยุดพิเศษ", by="test")
    p = {n: office.ids[n] for n in office.ids}
    sent_on: dict[str, date] = {}
    day = FY_START
    while day <= FY_END:
        with time_machine.travel(datetime.combine(day, time(1, 0), tzinfo=UTC), tick=True):
            _reports_of_the_day(office, day)  # 08:00 in Bangkok, before the clock's 09:00
        at = local(day)
        with time_machine.travel(at, tick=True):
            before = {d.id for d in bot.world.deliveries()}
            runs.run(bot.services, at)
            for d in bot.world.deliveries():
                if d.id not in before:
                    sent_on[str(d.id)] = day
        day += timedelta(days=1)

    pushes = bot.world.deliveries("push")
    thai = holidays.country_holidays("TH", years=[2022, 2023])
    # Never on a weekend, a Thai public holiday or the BMA's extra day off.
    for d in pushes:
        sent = sent_on[str(d.id)]
        assert sent.weekday() < 5 and sent not in thai and sent != EXTRA_DAY_OFF, (sent, d.to)
    # Nothing twice: one push per chat per day, every retry key once.
    assert len({d.retry_key for d in pushes}) == len(pushes)
    per_chat_day = Counter((d.to, sent_on[str(d.id)]) for d in pushes)
    assert max(per_chat_day.values()) == 1

    by_month: dict[tuple[int, int], list[tuple[date, str, list[int] | str]]] = defaultdict(list)
    for d in pushes:
        sent = sent_on[str(d.id)]
        content: list[int] | str = _items(d) if any(m["type"] == "flex" for m in d.messages) else d.messages[0]["text"]
        by_month[(sent.year, sent.month)].append((sent, d.to, content))

    # November 2022: the 20th is a Sunday -> Monday 21; follow-ups 23 and 25; digest 26 (Sat) -> Mon 28.
    nov = sorted(by_month[(2022, 11)], key=lambda x: (x[0], x[1]))
    assert [(s, to, c) for s, to, c in nov if to != "UC"] == [
        (date(2022, 11, 21), "Cg1", [p[3]]),        # P1 reported on the 10th
        (date(2022, 11, 21), "Cg2", [p[4]]),        # P5, P6 start later
        (date(2022, 11, 21), "Cg3", [p[7]]),        # P8 reported on the 5th
        (date(2022, 11, 23), "Cg2", [p[4]]),        # P3 reported on the 22nd: Cg1 is left alone
        (date(2022, 11, 23), "U1", [p[7]]),         # P7's last reporter is a friend: one-to-one
        (date(2022, 11, 25), "Cg2", [p[4]]),
        (date(2022, 11, 25), "U1", [p[7]]),
    ]  # fmt: skip
    # The reminder mentions who reported P3 last time (U2, still a member), with textV2.
    cg1_nov = next(d for d in pushes if d.to == "Cg1" and sent_on[str(d.id)] == date(2022, 11, 21))
    mention = cg1_nov.messages[0]
    assert mention["type"] == "textV2" and "{u0}" in mention["text"]
    assert mention["substitution"]["u0"]["mentionee"] == {"type": "user", "userId": "U2"}
    assert cg1_nov.cost == 3  # one per member
    digests = [(s, c) for s, to, c in nov if to == "UC"]
    assert len(digests) == 1 and digests[0][0] == date(2022, 11, 28)
    assert "สรุปความก้าวหน้า" in str(digests[0][1]) and "ยังไม่รายงานเดือนนี้" in str(digests[0][1])

    # October: both follow-ups fall on the 25th (the 23rd is a Sunday and Chulalongkorn Day,
    # the 24th its day in lieu): one message, not two. P7 reported on the 24th.
    octo = [(s, to, c) for s, to, c in sorted(by_month[(2022, 10)], key=lambda x: (x[0], x[1])) if to != "UC"]
    assert octo == [
        (date(2022, 10, 20), "Cg1", [p[3]]), (date(2022, 10, 20), "Cg2", [p[4]]),
        (date(2022, 10, 20), "Cg3", [p[7]]), (date(2022, 10, 25), "Cg2", [p[4]]),
    ]  # fmt: skip
    # P8 finished (100%) in December: never reminded from January on.
    assert all(p[8] not in c for (y, m), rows in by_month.items() if (y, m) >= (2023, 1)
               for _, _, c in rows if isinstance(c, list))  # fmt: skip
    # March: the 20th is the extra day off -> Tuesday 21.
    assert {s for s, to, _ in by_month[(2023, 3)] if to == "Cg1"} == {date(2023, 3, 21)}
    # April on: P2 joins Cg1's reminder; P5 (May on) and P6 (April on) Cg2's; all report on the 28th.
    apr_cg1 = [c for s, to, c in by_month[(2023, 4)] if to == "Cg1"]
    assert apr_cg1[0] == [p[2], p[3]]
    may_cg2 = [c for s, to, c in sorted(by_month[(2023, 5)], key=lambda x: (x[0], x[1])) if to == "Cg2"]
    assert may_cg2[0] == [p[4], p[5], p[6]]
    # Every month: exactly one digest for the one coordinator, on a working day from the 26th.
    for (year, month), rows in by_month.items():
        digests = [s for s, to, _ in rows if to == "UC"]
        if (year, month) != (2022, 10) or digests:
            assert len(digests) == 1 and digests[0].day >= 26, (year, month, digests)
    assert sum(1 for _, rows in by_month.items() for _, to, _ in rows if to == "UC") == 12
    # Follow-ups only while unreported: until March Cg1 gets none (P3 reports on the 22nd);
    # from April P2 (reported on the 28th, by someone who is not a friend) is followed up in the group.
    for (year, month), rows in by_month.items():
        cg1 = sorted((s, c) for s, to, c in rows if to == "Cg1")
        if (year, month) < (2023, 4):
            assert len(cg1) == 1, (year, month, cg1)
        else:
            # When the reminder day moved to the 22nd, P3 had reported that morning.
            first = [p[2], p[3]] if cg1[0][0].day < 22 else [p[2]]
            # In September the 23rd is a Saturday: both follow-ups on Monday the 25th, one message.
            follow_ups = 1 if month == 9 else 2
            assert [c for _, c in cg1] == [first] + [[p[2]]] * follow_ups, (year, month, cg1)
    april = sorted(s for s, to, _ in by_month[(2023, 4)] if to == "Cg1")
    assert april == [date(2023, 4, 20), date(2023, 4, 24), date(2023, 4, 25)]  # the 23rd is a Sunday
    assert datetime.now(UTC).year >= 2026  # time travel is over
    assert BANGKOK.key == "Asia/Bangkok"

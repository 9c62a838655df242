"""The LINE cost of a month: a district office of 40 projects in 8 groups of 10 people,
half the projects reporting before the first follow-up, stays within the free 300."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from bot.cli import main
from scheduler import runs
from tests.conftest import RunningBot
from tests.scheduler.reminder_setup import district_office, local, report_by_id

MARCH = [date(2027, 3, d) for d in range(1, 32)]  # the 20th is a Saturday: reminder Monday 22


def test_a_whole_month_of_a_district_office_fits_in_the_free_quota(bot_factory, settings, monkeypatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    bot: RunningBot = bot_factory(worker_mode="external")
    ids = district_office(bot)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LINE_API_BASE_URL", settings.line_api_base_url)
    monkeypatch.setenv("LINE_CHANNEL_SECRET", settings.channel_secret)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", settings.channel_access_token)
    assert main(["quota", "--json", "--at", "2027-03-01T08:00"]) == 0
    before = json.loads(capsys.readouterr().out)
    # Before any report: reminders 8 x 10, two follow-ups 8 x 10 each, one digest.
    assert before["forecast"] == 241 and before["naive"] == 40 * 10 * 3 + 1 and before["limit"] == 300

    for day in MARCH:
        at = local(day)
        with time_machine.travel(at, tick=True):
            runs.run(bot.services, at)
        if day == date(2027, 3, 22):  # after the reminder, before the first follow-up: every other project
            with time_machine.travel(datetime.combine(day, time(6, 0), tzinfo=UTC), tick=True):
                for pid in ids[::2]:
                    report_by_id(bot, pid, day, "10", "Ureporter")
    with time_machine.travel(local(date(2027, 3, 31), time(12, 0)), tick=True):
        used = bot.world.usage()
        assert main(["quota", "--json", "--at", "2027-03-31T12:00"]) == 0
    after = json.loads(capsys.readouterr().out)
    pushes = bot.world.deliveries("push")
    # 8 reminders, 8 + 8 follow-ups (each group still has two or three unreported projects), 1 digest.
    assert sorted(d.to for d in pushes).count("UC") == 1 and len(pushes) == 25
    assert used == 241 <= 300
    assert after["used"] == 241 and after["forecast"] == 0 and after["design_month_total"] == 241
    assert after["naive"] == 40 * 10 * 3 + 1

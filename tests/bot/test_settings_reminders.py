"""The reminder clock's settings: defaults, environment variables, refusals that name the variable."""

from __future__ import annotations

from datetime import time

import pytest

from bot.settings import Settings
from plans.errors import ConfigError
from plans.schedule import Schedule


def test_the_defaults_are_the_20th_the_23rd_and_25th_the_25th_the_26th_at_nine() -> None:
    assert Settings.from_env({"KAONA_DEMO": "1"}).schedule == Schedule(20, (23, 25), 25, 26, time(9, 0))


def test_the_schedule_comes_from_the_environment() -> None:
    settings = Settings.from_env({"KAONA_DEMO": "1", "KAONA_REMINDER_DAY": "18", "KAONA_FOLLOWUP_DAYS": "21,24",
                                  "KAONA_REPORT_DEADLINE_DAY": "24", "KAONA_DIGEST_DAY": "27",
                                  "KAONA_REMINDER_TIME": "08:30", "KAONA_REMINDER_GRACE_HOURS": "24",
                                  "KAONA_NEW_REPORTS_TIME": "16:00"})  # fmt: skip
    assert settings.schedule == Schedule(18, (21, 24), 24, 27, time(8, 30))
    assert settings.reminder_grace_hours == 24 and settings.new_reports_time == time(16, 0)


@pytest.mark.parametrize(("name", "value"), [("KAONA_FOLLOWUP_DAYS", "soon"), ("KAONA_REMINDER_TIME", "25:00"),
                                             ("KAONA_REMINDER_DAY", "24"), ("KAONA_DIGEST_DAY", "40")])  # fmt: skip
def test_a_bad_value_is_refused_naming_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"KAONA_DEMO": "1", name: value})
    assert refused.value.variable in (name, "KAONA_REMINDER_DAY")

"""`kaona remind`, `digest`, `quota`, `schedule`, `holidays` as an admin runs them."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import RunningBot
from tests.scheduler.reminder_setup import set_up


@pytest.fixture
def office(bot_factory, settings, monkeypatch: pytest.MonkeyPatch) -> RunningBot:
    bot: RunningBot = bot_factory(worker_mode="external")
    set_up(bot)
    for name, value in (("DATABASE_URL", settings.database_url), ("LINE_API_BASE_URL", settings.line_api_base_url),
                        ("LINE_CHANNEL_SECRET", settings.channel_secret),
                        ("LINE_CHANNEL_ACCESS_TOKEN", settings.channel_access_token)):  # fmt: skip
        monkeypatch.setenv(name, value)
    return bot


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_a_dry_run_says_what_would_go_to_whom_and_why_and_sends_nothing(office: RunningBot, capsys) -> None:
    code, out = run(capsys, "remind", "--dry-run", "--at", "2022-11-21T09:00", "--json")
    assert code == 0
    plan = json.loads(out)
    assert sorted(s["to"] for s in plan["sends"]) == ["Cg1", "Cg2", "Cg3"]
    assert plan["cost"] == 3 + 2 + 4
    why = {(d["group"], d["project"][:20]): d["why"] for d in plan["decisions"]}
    assert any("outside its months" in w for w in why.values())  # P2, P5, P6 start in April or May
    assert office.world.deliveries() == []
    code, text = run(capsys, "remind", "--dry-run", "--at", "2565-11-21T09:00")  # a BE year works too
    assert code == 0 and "would send 3, cost 9" in text and "[IN ]" in text


def test_remind_and_digest_now_twice_send_once(office: RunningBot, capsys) -> None:
    for _ in range(2):
        assert run(capsys, "remind", "--now", "--at", "2022-11-21T09:00")[0] == 0
    assert sorted(d.to for d in office.world.deliveries("push")) == ["Cg1", "Cg2", "Cg3"]
    for _ in range(2):
        code, out = run(capsys, "digest", "--now", "--at", "2022-11-28T09:00", "--json")
        assert code == 0
    assert [d.to for d in office.world.deliveries("push")].count("UC") == 1
    assert json.loads(out)["sent"] == {}


def test_schedule_set_shown_and_refused_when_impossible(office: RunningBot, capsys) -> None:
    code, out = run(capsys, "schedule", "--unit", "กองงานผู้ตรวจราชการ", "--day", "18", "--followups", "21,24",
                    "--time", "08:30")  # fmt: skip
    assert code == 0 and "แจ้งเตือนวันที่ 18" in out and "08:30" in out
    assert run(capsys, "schedule", "--project", "#2", "--day", "๑๕")[0] == 0
    code, out = run(capsys, "schedule", "--show")
    assert "ค่าเริ่มต้น / default: แจ้งเตือนวันที่ 20" in out and "โครงการ / project #2" in out
    assert "แจ้งเตือนวันที่ 15 · ติดตามวันที่ 21, 24" in out  # the project keeps its unit's other days
    code, out = run(capsys, "schedule", "--unit", "กองงานผู้ตรวจราชการ", "--day", "26")
    assert code == 1 and "วันติดตามซ้ำต้องอยู่หลังวันแจ้งเตือน" in out
    # The clock follows the unit's schedule: nothing on the 21st (the reminder went on the 18th).
    code, out = run(capsys, "remind", "--dry-run", "--at", "2022-11-18T08:30", "--json")
    assert sorted(s["to"] for s in json.loads(out)["sends"]) == ["Cg1", "Cg2", "Cg3"]


def test_holidays_take_iso_and_be_dates(office: RunningBot, capsys) -> None:
    code, out = run(capsys, "holidays", "add", "16/11/2565", "วันหยุดพิเศษ")
    assert code == 0 and "2022-11-16" in out
    code, out = run(capsys, "holidays", "add", "2566-03-20", "วันหยุดชดเชย")
    assert code == 0 and "2023-03-20  วันหยุดชดเชย" in out
    with pytest.raises(SystemExit) as refused:
        main(["holidays", "add", "31/02/2566", "x"])
    assert refused.value.code == 2 and "not a date" in capsys.readouterr().err


def test_quota_prints_used_forecast_naive_and_limit(office: RunningBot, capsys) -> None:
    code, out = run(capsys, "quota", "--at", "2022-11-01T08:00")
    assert code == 0 and "naive" in out and "300" in out
    figures = json.loads(run(capsys, "quota", "--json", "--at", "2022-11-01T08:00")[1])
    assert set(figures) >= {"used", "forecast", "naive", "limit"}
    assert all(isinstance(figures[k], int) for k in ("used", "forecast", "naive", "limit"))
    assert figures["naive"] > figures["forecast"] > 0

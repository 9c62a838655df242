"""The reminder clock in chat: the free reminder line, new-report notices, the schedule
conversation, over the real webhook and the local LINE server."""

from __future__ import annotations

from datetime import timedelta

from bot.localline import group_source, user_source
from scheduler import runs
from storage import reminders as repo
from storage.plans import find_unit
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, ask, bind_group, load_plans, make_coordinator


def _office(bot: RunningBot) -> list[int]:
    sample, _ = load_plans(bot)
    make_coordinator(bot, "UC", UNIT_A)
    bot.world.add_user("UC", "ผู้ประสานงาน")
    bind_group(bot, "Cdemo", [p.id for p in sample], ["U1", "U2"])
    return [p.id for p in sample]


def test_a_reply_in_the_group_carries_the_due_reminder_and_the_push_is_then_skipped(bot: RunningBot) -> None:
    _office(bot)  # today is Sat 21 Nov 2026: the reminder of Fri 20 Nov is due, nothing was sent yet
    answer = ask(bot, group_source("Cdemo", "U1"), "สรุป")
    assert "⏰ ยังไม่ได้รายงานประจำเดือน พ.ย. 2569" in answer
    assert bot.world.deliveries("push") == []  # it went with the reply: free
    result = runs.run(bot.services, bot.services.clock())
    assert all(p.send.target != "Cdemo" for p in result.kept)
    assert bot.world.deliveries("push", to="Cdemo") == []
    # Only once: the next reply carries no reminder line.
    assert "⏰" not in ask(bot, group_source("Cdemo", "U2"), "สรุป")


def test_without_a_reply_the_group_gets_one_push(bot: RunningBot) -> None:
    ids = _office(bot)
    runs.run(bot.services, bot.services.clock())
    pushes = bot.world.deliveries("push", to="Cdemo")
    assert len(pushes) == 1 and pushes[0].cost == 2
    flex = pushes[0].messages[-1]
    buttons = [c["action"]["data"] for c in flex["contents"]["body"]["contents"] if c.get("type") == "button"]
    assert buttons == [f"kaona=report&a=start&p={pid}" for pid in ids]
    runs.run(bot.services, bot.services.clock() + timedelta(minutes=5))
    assert len(bot.world.deliveries("push", to="Cdemo")) == 1


def test_the_reminder_button_starts_the_report_of_its_project(bot: RunningBot) -> None:
    ids = _office(bot)
    source = group_source("Cdemo", "U1")
    bot.client.send_postback(source, f"kaona=report&a=start&p={ids[0]}")
    bot.settle()
    replies = [m.get("text") or m.get("altText", "") for d in bot.world.deliveries("reply", to="Cdemo") for m in d.messages]
    assert any("ขั้นตอน" in r for r in replies), replies


def test_new_reports_opt_in_sends_one_push_a_day_listing_the_reports(bot: RunningBot) -> None:
    ids = _office(bot)
    dm = user_source("UC")
    assert "รับแจ้งรายงานใหม่" in ask(bot, dm, "แจ้งรายงานใหม่")
    assert "เปิดรับแจ้งรายงานใหม่แล้ว" in ask(bot, dm, "แจ้งรายงานใหม่ เปิด")
    assert "เฉพาะผู้ประสานงาน" in ask(bot, user_source("U1"), "แจ้งรายงานใหม่ เปิด")
    ask(bot, group_source("Cdemo", "U1"), f"รายงาน #{ids[0]} 40% อบรมรุ่นแรกแล้ว")
    ask(bot, group_source("Cdemo", "U1"), "ยืนยัน")
    evening = bot.services.clock().replace(hour=10, minute=30)  # 17:30 in Bangkok
    runs.run(bot.services, evening, kinds=("newreports",))
    runs.run(bot.services, evening + timedelta(hours=1), kinds=("newreports",))
    notices = bot.world.deliveries("push", to="UC")
    assert len(notices) == 1
    assert "รายงานใหม่" in notices[0].messages[0]["text"] and "40%" in notices[0].messages[0]["text"]
    assert "ปิดรับแจ้งรายงานใหม่แล้ว" in ask(bot, dm, "แจ้งรายงานใหม่ ปิด")


def test_a_coordinator_sets_the_schedule_in_chat(bot: RunningBot) -> None:
    _office(bot)
    dm = user_source("UC")
    assert "วันแจ้งเตือนประจำเดือน" in ask(bot, dm, "ตั้งเวลาแจ้งเตือน")
    assert "ขออภัย" in ask(bot, dm, "พรุ่งนี้")
    ask(bot, dm, "๑๘")
    ask(bot, dm, "21,24")
    ask(bot, dm, "คงเดิม")
    ask(bot, dm, "คงเดิม")
    assert "ยืนยัน" in ask(bot, dm, "08:30")
    assert "บันทึกเวลาแจ้งเตือน" in ask(bot, dm, "ยืนยัน")
    with bot.services.sessions() as session:
        unit = find_unit(session, UNIT_A)
        assert unit is not None
        schedule = repo.unit_schedules(session, bot.services.settings.schedule)[unit.id]
    assert (schedule.reminder_day, schedule.followup_days, f"{schedule.at:%H:%M}") == (18, (21, 24), "08:30")
    assert "เฉพาะผู้ประสานงาน" in ask(bot, user_source("U1"), "schedule")

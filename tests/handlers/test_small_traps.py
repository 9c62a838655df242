"""Issue 12, item 8: the small traps around the report, each a row, end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.localline import group_source, user_source
from storage import access
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, ask, bind_group, load_plans, make_coordinator

STAFF = user_source("Ustaff")
BOSS = user_source("Uboss")


@pytest.fixture
def plans(bot: RunningBot):
    unit_a, _ = load_plans(bot)
    bind_group(bot, "Cwork", [p.id for p in unit_a], ["Ustaff"])
    make_coordinator(bot, "Uboss", UNIT_A)
    return bot, unit_a


def test_cancel_with_nothing_open_says_there_is_nothing_to_cancel(plans) -> None:
    bot, _ = plans
    assert "ไม่มีการรายงานที่ค้างอยู่" in ask(bot, STAFF, "ยกเลิก")
    assert "ไม่มีการรายงานที่ค้างอยู่" in ask(bot, group_source("Cwork", "Ustaff"), "ยกเลิก")
    assert ask(bot, group_source("Cwork", "Ustaff"), "ยกเลิกประชุมพรุ่งนี้นะ") == ""  # chatter


def test_status_with_no_name_lists_the_projects(plans) -> None:
    bot, unit_a = plans
    answer = ask(bot, group_source("Cwork", "Ustaff"), "สถานะ")
    assert "พบหลายโครงการ" not in answer and f"{len(unit_a)} โครงการ" in answer
    assert all(p.name[:40] in answer for p in unit_a)


@pytest.mark.parametrize("typed", ["ผูกโครงการ ABC123", "ผูกโครงการ abc-123"])
def test_a_code_with_letters_is_not_read_as_its_digits(plans, typed: str) -> None:
    bot, _ = plans
    answer = ask(bot, group_source("Cother", "Ustaff"), typed)
    assert "รหัส 123 ไม่ถูกต้อง" not in answer and "รหัสมีเฉพาะตัวเลข" in answer


def test_staff_are_not_shown_coordinator_commands(plans) -> None:
    bot, _ = plans
    staff, boss = ask(bot, STAFF, "ช่วยเหลือ"), ask(bot, BOSS, "ช่วยเหลือ")
    for command in ("เชิญ", "ลบรายงาน"):
        assert f"• {command}" not in staff and f"• {command}" in boss
    assert "• ประวัติ" in staff and "• แนบ" in staff


def test_a_coordinator_in_an_unbound_group_is_told_to_get_a_code_themselves(plans) -> None:
    bot, _ = plans
    bot.world.add_group("Cnew", "กลุ่มใหม่", ["Uboss", "Ustaff"])
    boss = ask(bot, group_source("Cnew", "Uboss"), "รายงาน")
    assert "ขอรหัสได้เองโดยพิมพ์ “เชิญ" in boss and "ขอรหัสจากผู้ประสานงาน" not in boss
    assert "ขอรหัสจากผู้ประสานงาน" in ask(bot, group_source("Cnew", "Ustaff"), "รายงาน")


def test_a_first_follow_is_no_welcome_back_and_the_digest_promised_is_the_one_sent(plans) -> None:
    bot, _ = plans
    bot.world.add_user("Uboss", "หัวหน้า")
    bot.client.follow("Uboss")
    bot.settle()
    greeting = bot.world.texts(to="Uboss")[-1]
    assert "ยินดีต้อนรับกลับ" not in greeting and "ผู้ประสานงานของ" in greeting
    # The reminders issue has landed: the digest is promised on the day the clock sends it.
    assert "จะได้รับสรุปความก้าวหน้าของหน่วยงานทางแชตนี้ (วันที่ 26 หรือวันทำการถัดไป)" in greeting
    with bot.services.sessions() as session, session.begin():
        unit = access.coordinated_units(session, "Uboss")[0]
        code = access.create_code(session, "coordinator", created_by="test", ttl=timedelta(days=1), unit_id=unit.id)
    bot.world.add_user("Unew", "ผู้ประสานงานใหม่")
    registered = ask(bot, user_source("Unew"), f"ลงทะเบียน {code}")
    assert "เรียบร้อย" in registered and "(วันที่ 26 หรือวันทำการถัดไป)" in registered
    assert "แจ้งรายงานใหม่ เปิด" in registered


def test_the_promised_digest_day_is_the_units_own(plans) -> None:
    from dataclasses import replace

    from storage import reminders

    bot, _ = plans
    with bot.services.sessions() as session, session.begin():
        unit = access.coordinated_units(session, "Uboss")[0]
        schedule = replace(bot.services.settings.schedule, digest_day=28)
        reminders.set_schedule(session, unit_id=unit.id, schedule=schedule, by="test")
        code = access.create_code(session, "coordinator", created_by="test", ttl=timedelta(days=1), unit_id=unit.id)
    bot.world.add_user("Uother", "ผู้ประสานงานอีกคน")
    assert "(วันที่ 28 หรือวันทำการถัดไป)" in ask(bot, user_source("Uother"), f"ลงทะเบียน {code}")

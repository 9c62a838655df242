"""One-time codes in chat: binding groups, registering coordinators, asking for codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.localline import group_source, user_source
from handlers.plans import import_plan
from storage import access
from storage.access_models import Coordinator, GroupProject
from storage.plans import ensure_unit, find_unit, list_projects
from tests.conftest import RunningBot
from tests.handlers.helpers import ROOT, UNIT_A, UNIT_B, ask, load_plans, make_coordinator

GROUP = group_source("Cwork", "Ustaff")
BOSS = user_source("Uboss")
SEED_000 = ROOT / "tests" / "fixtures" / "plans" / "seed_000.txt"


@pytest.fixture
def plans(bot: RunningBot):
    unit_a, unit_b = load_plans(bot)
    bot.world.add_group("Cwork", "ฝ่ายปกครอง", ["Ustaff"])
    return bot, unit_a


def new_code(bot: RunningBot, kind: str = "bind", *, ttl=timedelta(days=7), **kwargs) -> str:
    with bot.services.sessions() as session, session.begin():
        return access.create_code(session, kind, created_by="test", ttl=ttl, **kwargs)


def bound(bot: RunningBot, group: str = "Cwork") -> set[int]:
    with bot.services.sessions() as session:
        return set(session.scalars(select(GroupProject.project_id).where(GroupProject.group_id == group)))


def thai(code: str) -> str:
    return code.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


def test_a_code_binds_the_group_once(plans) -> None:
    bot, unit_a = plans
    code = new_code(bot, project_ids=[unit_a[0].id])
    answer = ask(bot, GROUP, f"ผูกโครงการ {code}")
    assert "เรียบร้อย" in answer and unit_a[0].name in answer
    assert bound(bot) == {unit_a[0].id}
    again = ask(bot, group_source("Cother", "Ux"), f"ผูกโครงการ {code}")
    assert "ถูกใช้ไปแล้ว" in again
    assert bound(bot, "Cother") == set()


@pytest.mark.parametrize("typed", ["ผูกโครงการ {thai}", "ผูกโครงการ   {spaced}  ", "bind {code}", "ผูกโครงการ {dashed}"])
def test_thai_digits_and_spaces_still_work(plans, typed: str) -> None:
    bot, unit_a = plans
    code = new_code(bot, unit_id=None, project_ids=[unit_a[1].id])
    text = typed.format(thai=thai(code), spaced=f"{code[:3]} {code[3:]}", code=code, dashed=f"{code[:3]}-{code[3:]}")
    assert "เรียบร้อย" in ask(bot, GROUP, text)
    assert bound(bot) == {unit_a[1].id}


def test_a_unit_code_binds_every_project_of_the_unit(plans) -> None:
    bot, unit_a = plans
    with bot.services.sessions() as session:
        unit_id = find_unit(session, UNIT_A).id
    ask(bot, GROUP, f"ผูกโครงการ {new_code(bot, unit_id=unit_id)}")
    assert bound(bot) == {p.id for p in unit_a}


def test_an_expired_code_is_refused_clearly(plans) -> None:
    bot, unit_a = plans
    code = new_code(bot, ttl=timedelta(seconds=-1), project_ids=[unit_a[0].id])
    assert "หมดอายุ" in ask(bot, GROUP, f"ผูกโครงการ {code}")
    assert bound(bot) == set()


def test_guessing_is_locked_after_five_wrong_tries_per_group(plans) -> None:
    bot, unit_a = plans
    code = new_code(bot, project_ids=[unit_a[0].id])
    wrong = "000000" if code != "000000" else "111111"
    answers = [ask(bot, GROUP, f"ผูกโครงการ {wrong}") for _ in range(5)]
    assert "ลองได้อีก 4 ครั้ง" in answers[0] and "ลองได้อีก 1 ครั้ง" in answers[3]
    assert "รอประมาณ 1 ชั่วโมง" in answers[4]
    assert "รอประมาณ 1 ชั่วโมง" in ask(bot, GROUP, f"ผูกโครงการ {code}")  # even the right code
    assert bound(bot) == set()
    assert "เรียบร้อย" in ask(bot, group_source("Canother", "Uy"), f"ผูกโครงการ {code}")  # other groups unaffected


def test_bind_needs_a_group_and_a_code(plans) -> None:
    bot, _ = plans
    assert "ใช้ในกลุ่ม" in ask(bot, user_source("Ustaff"), "ผูกโครงการ 123456")
    assert "กรุณาพิมพ์รหัสต่อท้ายคำสั่ง เช่น “ผูกโครงการ 482913”" in ask(bot, GROUP, "ผูกโครงการ")
    assert "เช่น “ลงทะเบียน 482913”" in ask(bot, user_source("Ustaff"), "ลงทะเบียน")


def unit_id_of(bot: RunningBot, name: str) -> int:
    with bot.services.sessions() as session, session.begin():
        return ensure_unit(session, name).id


def test_a_unit_code_is_not_spent_while_the_unit_has_no_projects(plans) -> None:
    bot, _ = plans
    code = new_code(bot, unit_id=unit_id_of(bot, "สำนักงานเขตใหม่"))
    first = ask(bot, GROUP, f"ผูกโครงการ {code}")
    assert "ยังไม่มีโครงการของหน่วยงานนี้" in first and f"รหัสเดิมได้อีกครั้ง เช่น “ผูกโครงการ {code}”" in first
    assert bound(bot) == set()
    import_plan(bot.services.sessions, SEED_000.read_bytes(), "seed_000.txt", unit="สำนักงานเขตใหม่")
    assert "เรียบร้อย" in ask(bot, GROUP, f"ผูกโครงการ {code}")
    with bot.services.sessions() as session:
        new = {p.id for p in list_projects(session, unit="สำนักงานเขตใหม่")}
    assert new and bound(bot) == new
    assert "ถูกใช้ไปแล้ว" in ask(bot, group_source("Cother", "Ux"), f"ผูกโครงการ {code}")


def test_registering_a_coordinator_one_to_one(plans) -> None:
    bot, _ = plans
    with bot.services.sessions() as session:
        unit_id = find_unit(session, UNIT_A).id
    code = new_code(bot, "coordinator", unit_id=unit_id)
    assert "ใช้ในแชตส่วนตัว" in ask(bot, GROUP, f"ลงทะเบียน {code}")
    answer = ask(bot, user_source("Uboss"), f"ลงทะเบียน {thai(code)}")
    assert "ผู้ประสานงานของ สำนักงานเขตตัวอย่าง" in answer
    with bot.services.sessions() as session:
        assert session.scalars(select(Coordinator.user_id)).all() == ["Uboss"]
    assert "รายงานแล้วเดือนนี้ 0 จาก 3 โครงการ" in ask(bot, user_source("Uboss"), "สรุป")
    # a bind code is not a registration code
    assert "ไม่ถูกต้อง" in ask(bot, user_source("Uother"), f"ลงทะเบียน {new_code(bot, unit_id=unit_id)}")


def test_a_coordinator_gets_a_code_in_chat_and_the_group_uses_it(plans) -> None:
    bot, unit_a = plans
    make_coordinator(bot, "Uboss", UNIT_A)
    answer = ask(bot, user_source("Uboss"), "เชิญ อบรมอาสาสมัคร")
    code = re.search(r"รหัสผูกกลุ่ม: (\d{6})", answer).group(1)
    assert "ผูกโครงการ " + code in answer
    ask(bot, GROUP, f"ผูกโครงการ {code}")
    assert bound(bot) == {next(p.id for p in unit_a if "อบรมอาสาสมัคร" in p.name)}


def test_invite_is_for_coordinators_and_offers_choices_when_ambiguous(plans) -> None:
    bot, _ = plans
    assert "สำหรับผู้ประสานงาน" in ask(bot, user_source("Unobody"), "เชิญ อบรม")
    make_coordinator(bot, "Uboss", UNIT_A)
    how = ask(bot, user_source("Uboss"), "เชิญ")
    assert "“เชิญ <ชื่อหรือรหัสโครงการ>”" in how and "“เชิญ ทั้งหมด”" in how and "  " not in how
    assert "เช่น “เชิญ อบรม”" in ask(bot, BOSS, "เชิญ โครงการที่ไม่มีอยู่จริงเลย")
    before = len(bot.world.deliveries(to="Uboss"))
    ask(bot, user_source("Uboss"), "เชิญ โครงการ")
    [delivery] = bot.world.deliveries(to="Uboss")[before:]
    labels = [i["action"]["text"] for i in delivery.messages[0]["quickReply"]["items"]]
    assert labels and all(label.startswith("เชิญ #") for label in labels)
    assert "ทุกโครงการของสำนักงานเขตตัวอย่าง" in ask(bot, user_source("Uboss"), "เชิญ ทั้งหมด")


def quick_replies(bot: RunningBot, source: dict, typed: str) -> tuple[str, list[dict]]:
    before = len(bot.world.deliveries(to=source["userId"]))
    answer = ask(bot, source, typed)
    [delivery] = bot.world.deliveries(to=source["userId"])[before:]
    return answer, [i["action"] for i in delivery.messages[0].get("quickReply", {}).get("items", [])]


def test_invite_all_asks_which_unit_when_coordinating_several(plans) -> None:
    bot, unit_a = plans
    long_name = "สำนักงานเขตที่มีชื่อยาวเกินกว่าที่ปุ่มจะแสดงได้ทั้งหมด"
    unit_id_of(bot, long_name)
    for unit in (UNIT_A, UNIT_B, long_name):
        make_coordinator(bot, "Uboss", unit)
    answer, actions = quick_replies(bot, BOSS, "เชิญ ทั้งหมด")
    assert "รหัสผูกกลุ่ม:" not in answer and "หลายหน่วยงาน" in answer
    assert {a["text"] for a in actions} == {f"เชิญ ทั้งหมด {u}" for u in (UNIT_A, UNIT_B, long_name)}
    assert all(len(a["label"]) <= 20 for a in actions)
    assert any(a["label"].endswith("…") for a in actions)

    pressed = next(a["text"] for a in actions if a["text"].endswith(UNIT_B))
    assert f"ทุกโครงการของ{UNIT_B}" in ask(bot, BOSS, pressed)
    answer = ask(bot, BOSS, "เชิญ ทั้งหมด เขตตัวอย่าง")  # part of the name is enough
    assert f"ทุกโครงการของ{UNIT_A}" in answer
    code = re.search(r"รหัสผูกกลุ่ม: (\d{6})", answer).group(1)
    ask(bot, GROUP, f"ผูกโครงการ {code}")
    assert bound(bot) == {p.id for p in unit_a}


def test_invite_all_only_offers_the_coordinators_own_units(plans) -> None:
    bot, _ = plans
    make_coordinator(bot, "Uboss", UNIT_A)
    assert f"ทุกโครงการของ{UNIT_A}" in ask(bot, BOSS, "เชิญ ทั้งหมด")  # one unit: no question
    answer, actions = quick_replies(bot, BOSS, f"เชิญ ทั้งหมด {UNIT_B}")  # a unit they do not coordinate
    assert "ไม่พบหน่วยงาน" in answer and "รหัสผูกกลุ่ม:" not in answer
    assert [a["text"] for a in actions] == [f"เชิญ ทั้งหมด {UNIT_A}"]

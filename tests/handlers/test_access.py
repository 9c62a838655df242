"""Who gets data: every command of the bot, asked by every kind of person. Zero leaks.

Project P (unit A) is bound to group G1. The personas:
- member:        in G1, asking in G1
- member_dm:     the same member, one-to-one
- other_group:   a member of G2 (bound to a unit B project), asking in G2
- stranger:      one-to-one, no role
- coordinator_a: coordinator of unit A, one-to-one
- coordinator_b: coordinator of unit B, one-to-one
"""

from __future__ import annotations

import re

import pytest

from bot.localline import group_source, member_left_event, user_source
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, UNIT_B, ask, bind_group, load_plans, make_coordinator

PERSONAS = {
    "member": group_source("Cg1", "Umember"),
    "member_dm": user_source("Umember"),
    "other_group": group_source("Cg2", "Uother"),
    "stranger": user_source("Ustranger"),
    "coordinator_a": user_source("Ucoorda"),
    "coordinator_b": user_source("Ucoordb"),
}
SEES_P = {"member", "member_dm", "coordinator_a"}

# (command as typed, personas that get P's data). {p} is a fragment of P's name.
COMMANDS = [
    ("สถานะ {p}", SEES_P),
    ("status {p}", SEES_P),
    ("โครงการ", SEES_P),
    ("สรุป", SEES_P),
    ("summary", SEES_P),
    ("เชิญ {p}", {"coordinator_a"}),
    ("ผูกโครงการ 000000", set()),
    ("ช่วยเหลือ", set()),
    # These start a conversation; each is cancelled again before the next command.
    ("รายงาน {p}", SEES_P),
    ("report {p}", SEES_P),
    ("รายงาน 50310000-3105 50% ขออนุมัติแล้ว", SEES_P),
    ("แก้ไขรายงาน {p}", SEES_P),
]


@pytest.fixture
def world(bot: RunningBot):
    unit_a, unit_b = load_plans(bot)
    target = next(p for p in unit_a if p.code == "50310000-3105")
    bind_group(bot, "Cg1", [target.id], ["Umember"])
    bind_group(bot, "Cg2", [unit_b[0].id], ["Uother"])
    make_coordinator(bot, "Ucoorda", UNIT_A)
    make_coordinator(bot, "Ucoordb", UNIT_B)
    return bot, target, unit_a


def test_every_command_for_every_persona(world) -> None:
    bot, target, unit_a = world
    fragment = "อบรมอาสาสมัคร"
    unit_a_names = [p.name for p in unit_a]
    leaks = []
    for typed, allowed in COMMANDS:
        for persona, source in PERSONAS.items():
            answer = ask(bot, source, typed.format(p=fragment))
            assert answer, (typed, persona)  # everyone gets an answer, never silence
            if typed.startswith(("รายงาน", "report", "แก้ไขรายงาน")):
                ask(bot, source, "ยกเลิก")
            got_data = target.name in answer or bool(re.search(r"รหัสผูกกลุ่ม: \d{6}", answer))
            if persona in allowed:
                assert got_data, (typed, persona, answer)
            else:
                if got_data or any(name in answer for name in unit_a_names if persona != "coordinator_a"):
                    leaks.append((typed, persona, answer[:200]))
    assert leaks == []


def test_not_found_reads_the_same_whether_or_not_the_project_exists(world) -> None:
    bot, _, _ = world
    b_coordinator = PERSONAS["coordinator_b"]
    real = ask(bot, b_coordinator, "สถานะ อบรมอาสาสมัคร")  # exists, but in unit A
    made_up = ask(bot, b_coordinator, "สถานะ โครงการที่ไม่มีอยู่จริงเลย")
    assert real.replace("อบรมอาสาสมัคร", "X") == made_up.replace("โครงการที่ไม่มีอยู่จริงเลย", "X")
    assert "ยังไม่มีโครงการ" in ask(bot, PERSONAS["stranger"], "สถานะ อบรมอาสาสมัคร")


def test_a_member_who_leaves_the_group_loses_access_one_to_one(world) -> None:
    bot, target, _ = world
    assert target.name in ask(bot, PERSONAS["member_dm"], "สถานะ อบรมอาสาสมัคร")
    bot.client.post([member_left_event("Cg1", ["Umember"])])
    bot.settle()
    assert target.name not in ask(bot, PERSONAS["member_dm"], "สถานะ อบรมอาสาสมัคร")


def test_a_group_the_bot_left_gives_its_members_no_access(world) -> None:
    bot, target, _ = world
    bot.client.leave("Cg1")
    bot.settle()
    assert target.name not in ask(bot, PERSONAS["member_dm"], "สถานะ อบรมอาสาสมัคร")

"""Who gets data: every command of the bot, asked by every kind of person. Zero leaks.

Project P (unit A) is bound to group G1. The personas:
- member:        in G1, asking in G1
- member_dm:     the same member, one-to-one
- other_group:   a member of G2 (bound to a unit B project), asking in G2
- stranger:      one-to-one, no role
- coordinator_a: coordinator of unit A, one-to-one
- coordinator_b: coordinator of unit B, one-to-one
- coordinator_b_in_g1: coordinator of unit B who is also a member of G1, one-to-one:
                 sees P through the group, but P is not theirs to hand out with `เชิญ`
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session

from bot.localline import group_source, member_left_event, user_source
from storage import access
from storage.access_models import ChatGroup, Person
from storage.db import make_engine, make_session_factory
from storage.plans import ensure_unit, find_unit
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, UNIT_B, ask, bind_group, load_plans, make_coordinator

PERSONAS = {
    "member": group_source("Cg1", "Umember"),
    "member_dm": user_source("Umember"),
    "other_group": group_source("Cg2", "Uother"),
    "stranger": user_source("Ustranger"),
    "coordinator_a": user_source("Ucoorda"),
    "coordinator_b": user_source("Ucoordb"),
    "coordinator_b_in_g1": user_source("Ucoordbg"),
}
SEES_P = {"member", "member_dm", "coordinator_a", "coordinator_b_in_g1"}

# (command as typed, personas that get P's data). {p} is a fragment of P's name.
COMMANDS = [
    ("สถานะ {p}", SEES_P),
    ("status {p}", SEES_P),
    ("สถานะ", SEES_P),
    ("สรุป สำนักงานเขตตัวอย่าง", SEES_P),
    ("ส่งออก", SEES_P),
    ("โครงการ", SEES_P),
    ("สรุป", SEES_P),
    ("summary", SEES_P),
    ("เชิญ {p}", {"coordinator_a"}),
    ("ผูกโครงการ 000000", set()),
    ("ช่วยเหลือ", set()),
    ("ส่งออก {p}", SEES_P),
    ("export {p}", SEES_P),
    # These start a conversation; each is cancelled again before the next command.
    ("รายงาน {p}", SEES_P),
    ("report {p}", SEES_P),
    ("รายงาน 50310000-3105 50% ขออนุมัติแล้ว", SEES_P),
    ("แก้ไขรายงาน {p}", SEES_P),
]


@pytest.fixture
def world(bot: RunningBot):
    return make_world(bot)


def make_world(bot: RunningBot):
    unit_a, unit_b = load_plans(bot)
    target = next(p for p in unit_a if p.code == "50310000-3105")
    bind_group(bot, "Cg1", [target.id], ["Umember", "Ucoordbg"])
    bind_group(bot, "Cg2", [unit_b[0].id], ["Uother"])
    make_coordinator(bot, "Ucoorda", UNIT_A)
    make_coordinator(bot, "Ucoordb", UNIT_B)
    make_coordinator(bot, "Ucoordbg", UNIT_B)
    return bot, target, unit_a


def test_every_command_for_every_persona(world) -> None:
    bot, target, unit_a = world
    fragment = "อบรมอาสาสมัคร"
    unit_a_names = [p.name for p in unit_a]
    leaks = []
    for typed, allowed in COMMANDS:
        for persona, source in PERSONAS.items():
            before = len(bot.world.deliveries(to=source.get("groupId") or source["userId"]))
            answer = ask(bot, source, typed.format(p=fragment))
            # Everyone gets an answer, except in a group where "รายงาน <something>" names no
            # project of the group: that is taken for chatter, exactly as for a made-up name.
            chatter = "groupId" in source and typed.startswith(("รายงาน ", "report ", "แก้ไขรายงาน "))
            assert answer or (chatter and persona not in allowed), (typed, persona)
            if typed.startswith(("รายงาน", "report", "แก้ไขรายงาน")):
                ask(bot, source, "ยกเลิก")
            answer = everything_seen(bot, source, before)
            button = f' #{target.id}"' in answer  # a button (its label clipped) that asks for P
            got_data = target.name in answer or button or bool(re.search(r"รหัสผูกกลุ่ม: \d{6}", answer))
            if persona in allowed:
                assert got_data, (typed, persona, answer)
            else:
                if got_data or any(name in answer for name in unit_a_names if persona != "coordinator_a"):
                    leaks.append((typed, persona, answer[:200]))
    assert leaks == []


def everything_seen(bot: RunningBot, source: dict, before: int) -> str:
    """All the answer in that chat since ``before``: texts, quick-reply buttons and whole
    Flex contents, not only what `ask` reads, so a name in a button or a card counts."""
    import json

    chat = source.get("groupId") or source["userId"]
    deliveries = bot.world.deliveries(to=chat)[before:]
    return json.dumps([d.messages for d in deliveries], ensure_ascii=False)


def test_every_link_opens_only_what_its_asker_may_see(bot_factory) -> None:
    import io
    from urllib.error import HTTPError
    from urllib.request import urlopen

    from openpyxl import load_workbook

    # One bot only: a second one on the same database would take some of the events.
    linked = bot_factory(public_base_url="https://kaona.example.go.th")
    _, target, unit_a = make_world(linked)
    unit_a_names = {p.name for p in unit_a}
    for typed in ("ส่งออก", "ส่งออก อบรมอาสาสมัคร"):
        for persona, source in PERSONAS.items():
            answer = ask(linked, source, typed)
            urls = [w for w in answer.split() if "/exports/" in w]
            shown: set[object] = set()
            if urls:
                [url] = urls
                with urlopen(url.replace("https://kaona.example.go.th", linked.url)) as response:
                    book = load_workbook(io.BytesIO(response.read()))
                shown = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
            if persona in SEES_P:
                assert target.name in shown, (typed, persona, answer[:200])
            if persona != "coordinator_a":
                assert shown & unit_a_names <= ({target.name} if persona in SEES_P else set()), (typed, persona)
    # B's payload under A's signature (and A's under B's): neither opens.
    def token(persona: str) -> list[str]:
        answer = ask(linked, PERSONAS[persona], "ส่งออก")
        links = [w for w in answer.split() if "/exports/" in w]
        assert len(links) == 1, (persona, answer)
        return links[0].rsplit("/", 1)[1].rsplit(".", 2)

    a_payload, *a_signed = token("coordinator_a")
    b_payload, *b_signed = token("coordinator_b")
    for swapped in (".".join([b_payload, *a_signed]), ".".join([a_payload, *b_signed])):
        with pytest.raises(HTTPError) as refused:
            urlopen(f"{linked.url}/exports/{swapped}")
        assert refused.value.code == 403


def test_not_found_reads_the_same_whether_or_not_the_project_exists(world) -> None:
    bot, _, _ = world
    b_coordinator = PERSONAS["coordinator_b"]
    real = ask(bot, b_coordinator, "สถานะ อบรมอาสาสมัคร")  # exists, but in unit A
    [delivery] = bot.world.deliveries(to="Ucoordb")[-1:]
    made_up = ask(bot, b_coordinator, "สถานะ อบรมอาสาสมัครที่ไม่มีอยู่จริงเลย")
    assert real.startswith("ไม่พบโครงการ “อบรมอาสาสมัคร”") and made_up.startswith("ไม่พบโครงการ")
    assert real.split("”", 1)[1] == made_up.split("”", 1)[1]  # the same words either way
    # The close matches offered are unit B's own projects, never the unit A one asked for.
    with bot.services.sessions() as session:
        visible = access.visible_project_ids(session, access.Viewer("user", "Ucoordb", "Ucoordb"))
    offered = [int(i["action"]["text"].split("#")[1]) for i in delivery.messages[0].get("quickReply", {}).get("items", [])]
    assert set(offered) <= visible and target_name_absent(bot, real)
    assert "ยังไม่มีโครงการ" in ask(bot, PERSONAS["stranger"], "สถานะ อบรมอาสาสมัคร")


def target_name_absent(bot: RunningBot, answer: str) -> bool:
    return "อบรมอาสาสมัครป้องกันภัย" not in answer


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


def test_a_coordinator_cannot_hand_out_a_project_seen_only_through_a_group(world) -> None:
    bot, target, _ = world
    persona = PERSONAS["coordinator_b_in_g1"]
    assert target.name in ask(bot, persona, f"สถานะ #{target.id}")  # visible through G1
    for typed in (f"เชิญ #{target.id}", f"เชิญ {target.code}", f"เชิญ {target.name}"):
        answer = ask(bot, persona, typed)
        assert "รหัสผูกกลุ่ม:" not in answer and "ไม่พบโครงการ" in answer, (typed, answer)
    with bot.services.sessions() as session:
        assert target.id not in access.coordinated_project_ids(session, "Ucoordbg")
        assert target.id in access.visible_project_ids(session, access.Viewer("user", "Ucoordbg", "Ucoordbg"))


def test_coordinated_projects_include_the_units_inside_the_unit(world) -> None:
    bot, _, unit_a = world
    with bot.services.sessions() as session, session.begin():
        parent = ensure_unit(session, "สำนักงานแม่")
        child = find_unit(session, UNIT_A)
        child.parent_id = parent.id
        access.add_coordinator(session, "Uparent", parent.id)
    with bot.services.sessions() as session:
        assert access.coordinated_project_ids(session, "Uparent") == {p.id for p in unit_a}
        assert access.coordinated_project_ids(session, "Unobody") == set()


# Two first messages at once ----------------------------------------------------------
# SQLite takes one writer at a time, so the race is staged: right after this
# session read "no such row", another transaction's row appears (as it would on
# PostgreSQL, committed in between). Inserting blindly then fails.


@pytest.fixture
def sessions(database_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def row_appears_after_first_read(session: Session, entity: type, insert_sql: str) -> None:
    fired: list[bool] = []

    @event.listens_for(session, "do_orm_execute")
    def _race(state: ORMExecuteState) -> object:
        if fired or not state.is_select or inspect(entity) not in state.all_mappers:
            return None
        fired.append(True)
        result = state.invoke_statement().freeze()
        state.session.connection().execute(text(insert_sql))
        return result()


@pytest.mark.parametrize("friend", [True, False, None])
def test_touch_person_survives_a_concurrent_first_message(sessions, friend) -> None:
    with sessions() as session, session.begin():
        row_appears_after_first_read(
            session, Person, "INSERT INTO persons (user_id, is_friend, created_at) VALUES ('Urace', false, '2026-01-01')"
        )
        person = access.touch_person(session, "Urace", friend=friend)
        assert person.user_id == "Urace"
    with sessions() as session:
        assert session.get(Person, "Urace").is_friend is bool(friend)


def test_ensure_group_survives_a_concurrent_first_event_and_still_reactivates(sessions) -> None:
    with sessions() as session, session.begin():
        row_appears_after_first_read(
            session,
            ChatGroup,
            "INSERT INTO chat_groups (group_id, active, joined_at, left_at) "
            "VALUES ('Crace', false, '2026-01-01', '2026-01-02')",
        )
        group = access.ensure_group(session, "Crace", rejoined=True)
        assert group.active is True and group.left_at is None
    with sessions() as session, session.begin():
        assert access.ensure_group(session, "Cnew").active is True
        access.leave_group(session, "Cnew")
    with sessions() as session, session.begin():
        assert access.ensure_group(session, "Cnew").active is False  # not a rejoin
        assert access.ensure_group(session, "Cnew", rejoined=True).active is True

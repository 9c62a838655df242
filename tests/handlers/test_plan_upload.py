"""A coordinator loads a plan by sending its file to the bot: signed webhook, real SDK,
the local LINE server serving the file, a real database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.localline.webhook import group_source, user_source
from storage.plan_models import Project
from storage.plans import ensure_unit
from storage.state import StateStore
from tests.conftest import RunningBot
from tests.handlers.helpers import make_coordinator
from tests.plans.readers.docx_fixtures import Step, plan_document

COORDINATOR = "Ucoord"
UNIT = "สำนักงานเขตทดสอบ"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STEPS = [Step("1", "ประชุมชี้แจงและวางแผน", "30", (0, 1)), Step("2", "ดำเนินการตามแผน", "70", (2, 3, 4, 5))]


@pytest.fixture
def office(bot: RunningBot) -> RunningBot:
    with bot.services.sessions() as session, session.begin():
        ensure_unit(session, UNIT)
        ensure_unit(session, "สำนักงานเขตทดสอบ/ฝ่ายปกครอง")
    make_coordinator(bot, COORDINATOR, UNIT)
    bot.world.add_user(COORDINATOR, "ผู้ประสานงาน ทดสอบ")
    bot.world.add_user("Ustaff", "เจ้าหน้าที่ ทดสอบ")
    return bot


def send_file(bot: RunningBot, user: str, data: bytes, name: str, content_type: str = DOCX,
              source: dict[str, Any] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    source = source or user_source(user)
    chat = source.get("groupId") or user
    before = len(bot.world.deliveries(to=chat))
    assert bot.client.send_content(source, data, file_name=name, content_type=content_type).status == 200
    bot.settle()
    return [m for d in bot.world.deliveries(to=chat)[before:] for m in d.messages]


def press(bot: RunningBot, user: str, data: str) -> list[dict[str, Any]]:
    before = len(bot.world.deliveries(to=user))
    assert bot.client.send_postback(user_source(user), data).status == 200
    bot.settle()
    return [m for d in bot.world.deliveries(to=user)[before:] for m in d.messages]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    footer = message["contents"]["footer"]["contents"]
    return {b["action"]["label"]: b["action"]["data"] for b in footer}


def words(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or m.get("altText", "") for m in messages)


def projects(bot: RunningBot) -> int:
    with bot.services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Project)) or 0)


def test_a_coordinator_sends_a_word_plan_confirms_and_sees_its_monthly_plan(office: RunningBot) -> None:
    [card] = send_file(office, COORDINATOR, plan_document(STEPS, marking="shading"), "แผนปี 2566.docx")
    assert card["type"] == "flex" and projects(office) == 0  # a dry run: nothing stored yet
    alt = card["altText"]
    assert "ปีงบประมาณ 2566" in alt and f"หน่วยงาน {UNIT}" in alt and "โครงการใหม่ 1" in alt
    assert "ยืนยัน" in buttons(card) and "ยกเลิก" in buttons(card)
    assert "quickReply" in card  # two units of theirs: a choice of where it goes
    done = words(press(office, COORDINATOR, buttons(card)["ยืนยัน"]))
    assert "เรียบร้อยแล้ว" in done and "โครงการใหม่ 1" in done
    assert projects(office) == 1
    status = office.client.send_text(user_source(COORDINATOR), "สถานะ ทดสอบการอ่าน")
    assert status.status == 200
    office.settle()
    answer = words([m for d in office.world.deliveries(to=COORDINATOR)[-1:] for m in d.messages])
    assert "ไม่มีแผนรายเดือน" not in answer and "โครงการทดสอบการอ่านไฟล์ Word" in answer
    assert "งบประมาณ: ไม่ได้ระบุในแผน" in answer  # the document states no budget: not "none received"
    again = words(press(office, COORDINATOR, buttons(card)["ยืนยัน"]))  # the card is used up
    assert "ใช้ไม่ได้แล้ว" in again and projects(office) == 1


def test_a_file_with_problems_shows_them_and_stores_nothing_until_confirmed(office: RunningBot) -> None:
    bad = plan_document([Step("1", "ประชุม", "30", (0,)), Step("2", "ดำเนินการ", "50", (1, 2))])  # 80%
    [card] = send_file(office, COORDINATOR, bad, "แผน.docx")
    assert "ไม่นำเข้า 1" in card["altText"] and "80" in card["altText"]
    assert "ดูทั้งหมด" in buttons(card)
    everything = words(press(office, COORDINATOR, buttons(card)["ดูทั้งหมด"]))
    assert "ผิดพลาด" in everything and "100" in everything
    assert projects(office) == 0
    cancelled = words(press(office, COORDINATOR, buttons(card)["ยกเลิก"]))
    assert "ยกเลิกการนำเข้า" in cancelled and projects(office) == 0


def test_the_coordinator_can_choose_another_of_their_units(office: RunningBot) -> None:
    [card] = send_file(office, COORDINATOR, plan_document(STEPS), "plan.docx")
    [choice] = card["quickReply"]["items"]
    [second] = press(office, COORDINATOR, choice["action"]["data"])
    assert "หน่วยงาน สำนักงานเขตทดสอบ/ฝ่ายปกครอง" in second["altText"]
    press(office, COORDINATOR, buttons(second)["ยืนยัน"])
    with office.services.sessions() as session:
        [project] = session.scalars(select(Project)).all()
        assert project.unit.path == "สำนักงานเขตทดสอบ/ฝ่ายปกครอง"


def test_staff_and_strangers_are_told_only_coordinators_load_plans(office: RunningBot) -> None:
    answer = words(send_file(office, "Ustaff", plan_document(STEPS), "plan.docx"))
    assert "เฉพาะผู้ประสานงาน" in answer and projects(office) == 0
    fetched = [r.path for r in office.world.requests() if r.path.endswith("/content")]
    assert fetched == []  # a stranger's file is not even fetched


def test_a_file_in_a_group_is_not_for_the_bot(office: RunningBot) -> None:
    office.world.add_group("Cgroup", "กลุ่มทดสอบ", [COORDINATOR, "Ustaff"])
    assert send_file(office, COORDINATOR, plan_document(STEPS), "plan.docx",
                     source=group_source("Cgroup", COORDINATOR)) == []  # fmt: skip
    assert projects(office) == 0


@pytest.mark.parametrize(
    ("data", "name", "content_type", "expected"),
    [
        (b"%PDF-1.7 a plan as PDF", "plan.pdf", "application/pdf", ".docx (Word), .xlsx (Excel)"),
        (b"%PDF-1.7 renamed", "plan.docx", DOCX, "ไม่ใช่ไฟล์ Word (.docx) อย่างที่ชื่อบอก"),
        (b"PK\x03\x04 broken zip", "plan.xlsx", "application/vnd.ms-excel", "เปิดไฟล์ Excel ไม่ได้"),
        (plan_document(STEPS), "plan.xlsx", "application/vnd.ms-excel", "ไม่ใช่ไฟล์ Excel (.xlsx)"),
        (b"\x00\x01binary", "plan.txt", "text/plain", "ไม่ใช่ไฟล์ ข้อความ"),
        (b"just some words", "plan.txt", "text/plain", "อ่านไฟล์ “plan.txt” ไม่ได้"),
    ],
)
def test_files_that_cannot_be_plans_get_a_clear_answer(office: RunningBot, data: bytes, name: str,
                                                         content_type: str, expected: str) -> None:  # fmt: skip
    answer = words(send_file(office, COORDINATOR, data, name, content_type))
    assert expected in answer, answer
    assert projects(office) == 0


def test_a_20_mb_file_is_refused_before_it_is_fetched(office: RunningBot) -> None:
    big = b"x" * (20 * 1024 * 1024)
    answer = words(send_file(office, COORDINATOR, big, "plan.txt", "text/plain"))
    assert "เกิน 10 MB" in answer and projects(office) == 0
    assert not [r.path for r in office.world.requests() if r.path.endswith("/content")]


def test_an_xlsx_template_loads_too(office: RunningBot, tmp_path) -> None:
    from plans.readers.template import write_template

    path = tmp_path / "plan.xlsx"
    write_template(path)
    [card] = send_file(office, COORDINATOR, path.read_bytes(), "plan.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    assert "โครงการใหม่ 1" in card["altText"] and f"หน่วยงาน {UNIT}" in card["altText"]


def test_the_pending_import_expires_after_a_day(office: RunningBot) -> None:
    [card] = send_file(office, COORDINATOR, plan_document(STEPS), "plan.docx")
    state: StateStore = office.services.state
    state.delete(f"plan-upload:{COORDINATOR}")  # what the day's expiry does
    assert "ใช้ไม่ได้แล้ว" in words(press(office, COORDINATOR, buttons(card)["ยืนยัน"]))
    assert projects(office) == 0

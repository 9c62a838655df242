"""The report conversation in a busy group, end to end (signed webhook, real SDK, the
local LINE server, a real database): reporting twice, two people at once, whose
question is whose, evidence, history and deletion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.localline import group_source, postback_event
from storage.plan_models import ProgressReport
from storage.report_models import ReportAttachment, ReportDeletion
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, ask, bind_group, load_plans, make_coordinator

GROUP = "Cbusy"
CODE = "50310000-3105"
JPEG = b"\xff\xd8\xff\xe0" + b"photo-of-the-training" * 20
SHORT_REPORT = ("รายงาน อบรม", "1", "50", "จัดทำคำสั่งแต่งตั้งแล้ว", "ไม่มี", "ไม่มี")


@pytest.fixture
def team(bot: RunningBot):
    return setup_team(bot)


def setup_team(bot: RunningBot):
    unit_a, _ = load_plans(bot)
    project = next(p for p in unit_a if p.code == CODE)
    bind_group(bot, GROUP, [project.id], ["Usomchai", "Usomying"])
    bot.world.add_user("Usomchai", "สมชาย ใจดี")
    bot.world.add_user("Usomying", "สมหญิง รักงาน")
    talk(bot, "Usomchai", "สถานะ อบรม")  # both have written here once: their names are known
    talk(bot, "Usomying", "สถานะ อบรม")
    return bot, project


def talk(bot: RunningBot, user: str, *lines: str) -> list[str]:
    return [ask(bot, group_source(GROUP, user), line) for line in lines]


def rows(bot: RunningBot, model: Any, project_id: int) -> list[Any]:
    with bot.services.sessions() as session:
        return list(session.query(model).filter_by(project_id=project_id).order_by(model.id))


def last_messages(bot: RunningBot) -> list[dict[str, Any]]:
    return bot.world.deliveries(to=GROUP)[-1].messages


def button(bot: RunningBot, label: str) -> str:
    items = last_messages(bot)[-1]["quickReply"]["items"]
    return next(i["action"]["data"] for i in items if i["action"]["label"] == label)


def press(bot: RunningBot, user: str, data: str) -> str:
    source = group_source(GROUP, user)
    before = len(bot.world.deliveries(to=GROUP))
    bot.client.post([postback_event(source, data, reply_token=bot.world.issue_reply_token(source))])
    bot.settle()
    return "\n".join(m.get("text", "") for d in bot.world.deliveries(to=GROUP)[before:] for m in d.messages)


# 3. Busy groups --------------------------------------------------------------------------


def test_every_question_of_a_report_in_a_group_mentions_its_reporter(team) -> None:
    bot, _ = team
    before = len(bot.world.deliveries(to=GROUP))
    talk(bot, "Usomchai", *SHORT_REPORT, "ข้าม", "ยืนยัน")
    for delivery in bot.world.deliveries(to=GROUP)[before:]:
        question = [m for m in delivery.messages if m["type"] in ("text", "textV2")][-1]
        assert question["type"] == "textV2" and question["text"].startswith("{you} ")
        assert question["substitution"]["you"]["mentionee"] == {"type": "user", "userId": "Usomchai"}


def test_another_persons_open_button_says_whose_report_it_is(team) -> None:
    bot, _ = team
    talk(bot, "Usomchai", *SHORT_REPORT, "ข้าม")
    confirm = button(bot, "ยืนยัน")
    assert "ของรายงานที่คุณสมชาย ใจดี กำลังทำอยู่" in press(bot, "Usomying", confirm)
    assert rows(bot, ProgressReport, team[1].id) == []  # her press saved nothing
    talk(bot, "Usomying", "รายงาน อบรม")  # and with her own report open too: hers waits
    told = press(bot, "Usomying", confirm)
    assert "ของรายงานที่คุณสมชาย ใจดี กำลังทำอยู่" in told and "รายงานของท่านยังรออยู่" in told
    assert "ขั้นตอนใดเสร็จแล้ว" in told
    talk(bot, "Usomchai", "ยืนยัน")
    assert "จบหรือยกเลิกไปแล้ว" in press(bot, "Usomying", confirm)


# 2. Reporting twice -----------------------------------------------------------------------


def test_a_second_report_the_same_day_says_who_and_offers_edit_or_extra(team) -> None:
    bot, project = team
    talk(bot, "Usomchai", f"รายงาน {CODE} 20% ขออนุมัติโครงการแล้ว", "ยืนยัน")
    [told] = talk(bot, "Usomchai", "รายงาน อบรม")
    assert "มีรายงานครั้งที่ 1 แล้ว โดยคุณสมชาย ใจดี เมื่อ 21 พ.ย. 2569" in told
    labels = [i["action"]["label"] for i in last_messages(bot)[-1]["quickReply"]["items"]]
    assert labels == ["แก้ไขรายงานเดิม", "รายงานเพิ่ม", "ยกเลิก"]
    [edit] = talk(bot, "Usomchai", "แก้ไข")
    assert "แก้ไขรายงานครั้งที่ 1" in edit
    talk(bot, "Usomchai", "ยกเลิก")
    talk(bot, "Usomchai", "รายงาน อบรม", "รายงานเพิ่ม", "อนุมัติแล้ววันนี้", "1,2", "0", "อนุมัติโครงการ", "0",
         "ไม่มี", "ข้าม", "ยืนยัน")  # fmt: skip
    first, second = rows(bot, ProgressReport, project.id)
    assert (first.number, second.number) == (1, 2)
    assert json.loads(second.step_progress)["extra_reason"] == "อนุมัติแล้ววันนี้"


def test_two_people_at_once_the_second_is_told_before_saving(team) -> None:
    bot, project = team
    [mine] = talk(bot, "Usomchai", "รายงาน อบรม")
    [hers] = talk(bot, "Usomying", "รายงาน อบรม")
    assert "รายงานครั้งที่ 1" in mine and "รายงานครั้งที่ 1" in hers  # neither knew of the other
    talk(bot, "Usomchai", *SHORT_REPORT[1:], "ข้าม")
    talk(bot, "Usomying", "2", "0", "ทำคำสั่งแล้ว", "ไม่มี", "ไม่มี", "ข้าม")
    talk(bot, "Usomchai", "ยืนยัน")
    [told] = talk(bot, "Usomying", "ยืนยัน")
    assert "คุณสมชาย ใจดี เพิ่งบันทึกรายงานครั้งที่ 1" in told and "ยังไม่ถูกบันทึก" in told
    assert len(rows(bot, ProgressReport, project.id)) == 1
    answers = talk(bot, "Usomying", "รายงานเพิ่ม", "ข้อมูลอีกส่วนของฝ่าย", "ยืนยัน")
    assert "สรุปรายงานครั้งที่ 2" in answers[1] and "บันทึกรายงานครั้งที่ 2 แล้ว" in answers[2]
    assert [r.reporter_user_id for r in rows(bot, ProgressReport, project.id)] == ["Usomchai", "Usomying"]


# 6. Evidence -------------------------------------------------------------------------------


def send(bot: RunningBot, user: str, data: bytes, **kind: Any) -> str:
    before = len(bot.world.deliveries(to=GROUP))
    assert bot.client.send_content(group_source(GROUP, user), data, **kind).status == 200
    bot.settle()
    return "\n".join(m.get("text", "") for d in bot.world.deliveries(to=GROUP)[before:] for m in d.messages)


def content_fetches(bot: RunningBot) -> list[str]:
    return [r.path for r in bot.world.requests() if r.path.startswith("/v2/bot/message/") and r.path.endswith("/content")]


def test_photos_and_files_are_fetched_stored_and_listed(team) -> None:
    bot, project = team
    talk(bot, "Usomchai", *SHORT_REPORT)
    assert "📎 ได้รับไฟล์แล้ว (รวม 1 ไฟล์)" in send(bot, "Usomchai", JPEG)
    assert send(bot, "Usomying", b"her holiday photo") == ""  # someone else's: ignored, not fetched
    assert len(content_fetches(bot)) == 1
    pdf = b"%PDF-1.4 the signed order"
    assert "รวม 2 ไฟล์" in send(bot, "Usomchai", pdf, content_type="application/pdf", file_name="คำสั่งแต่งตั้ง.pdf")
    [card] = talk(bot, "Usomchai", "เสร็จ")
    assert "ไฟล์แนบ: รูปภาพ1.jpg, คำสั่งแต่งตั้ง.pdf" in card
    talk(bot, "Usomchai", "ยืนยัน")
    photo, order = rows(bot, ReportAttachment, project.id)
    assert (photo.report_number, photo.file_name, photo.size) == (1, "รูปภาพ1.jpg", len(JPEG))
    assert order.file_name == "คำสั่งแต่งตั้ง.pdf" and order.content_type == "application/pdf"
    folder = Path(bot.services.settings.files_dir or "")
    assert (folder / photo.storage_key).read_bytes() == JPEG  # in the folder, not the database
    assert (folder / order.storage_key).read_bytes() == pdf
    [history] = talk(bot, "Usomchai", "ประวัติ อบรม")
    assert "📎 ไฟล์แนบ 2 ไฟล์" in history


def test_attach_after_saving_and_the_export_lists_the_files_with_links(bot_factory) -> None:
    bot, project = setup_team(bot_factory(public_base_url="https://kaona.example.go.th"))
    talk(bot, "Usomchai", f"รายงาน {CODE} 20% ขออนุมัติโครงการแล้ว", "ยืนยัน")
    [asked] = talk(bot, "Usomchai", "แนบ อบรม")
    assert "รายงานครั้งที่ 1" in asked
    send(bot, "Usomchai", JPEG)
    [done] = talk(bot, "Usomchai", "เสร็จ")
    assert "แนบไฟล์ 1 ไฟล์กับรายงานครั้งที่ 1" in done
    [export] = talk(bot, "Usomchai", "ส่งออก อบรม")
    assert "• ครั้งที่ 1: รูปภาพ1.jpg https://kaona.example.go.th/files/" in export
    token = export.split("https://kaona.example.go.th/files/", 1)[1].split()[0]
    import urllib.request

    with urllib.request.urlopen(f"{bot.url}/files/{token}") as response:
        assert response.read() == JPEG and response.headers["Content-Type"] == "image/jpeg"


def test_a_file_too_large_is_refused_and_nothing_is_kept(bot_factory) -> None:
    # One bot only: a second one on the same database would race this one for the events.
    bot, project = setup_team(bot_factory(max_file_bytes=100))
    talk(bot, "Usomchai", *SHORT_REPORT)
    assert "ใหญ่เกิน" in send(bot, "Usomchai", JPEG)  # a photo: the size is known after fetching
    assert "ใหญ่เกิน" in send(bot, "Usomchai", JPEG, content_type="application/pdf", file_name="big.pdf")
    assert len(content_fetches(bot)) == 1  # a file says its size first: not even fetched
    talk(bot, "Usomchai", "ข้าม", "ยืนยัน")
    assert rows(bot, ReportAttachment, project.id) == []


# 7. History and deletion --------------------------------------------------------------------


def test_history_lists_the_years_reports_newest_first(team) -> None:
    bot, _ = team
    talk(bot, "Usomchai", "รายงาน อบรม", "1", "50", "ขออนุมัติโครงการแล้ว\nรายละเอียดเพิ่มเติม", "ไม่มี", "ไม่มี",
         "ข้าม", "ยืนยัน")  # fmt: skip
    talk(bot, "Usomying", f"รายงาน {CODE} 30% ทำคำสั่งแล้ว", "รายงานเพิ่ม", "คำสั่งออกเพิ่ม", "ยืนยัน")
    [history] = talk(bot, "Usomchai", "ประวัติ อบรม")
    second, first = history.index("ครั้งที่ 2 · 21 พ.ย. 2569 · 30% · สมหญิง รักงาน"), history.index("ครั้งที่ 1 ·")
    assert second < first and "ขออนุมัติโครงการแล้ว" in history and "รายละเอียดเพิ่มเติม" not in history


def test_a_coordinator_deletes_a_mistaken_report_kept_in_audit_and_never_renumbered(team) -> None:
    bot, project = team
    talk(bot, "Usomchai", f"รายงาน {CODE} 20% ขออนุมัติแล้ว", "ยืนยัน")
    talk(bot, "Usomchai", f"รายงาน {CODE} 90% พิมพ์ผิด", "รายงานเพิ่ม", "ทดลอง", "ยืนยัน")
    [refused] = talk(bot, "Usomying", "ลบรายงาน อบรม 2")
    assert "เฉพาะผู้ประสานงาน" in refused and len(rows(bot, ProgressReport, project.id)) == 2
    make_coordinator(bot, "Uboss", UNIT_A)
    from bot.localline import user_source

    [deleted] = [ask(bot, user_source("Uboss"), "ลบรายงาน อบรม ครั้งที่ ๒")]
    assert "ลบรายงานครั้งที่ 2" in deleted and "ไม่นำเลขครั้งที่ 2 มาใช้ซ้ำ" in deleted
    [gone] = rows(bot, ReportDeletion, project.id)
    assert gone.number == 2 and json.loads(gone.data)["percent"] == "90.00" and gone.deleted_by == "Uboss"
    talk(bot, "Usomchai", f"รายงาน {CODE} 30% ทำคำสั่งแล้ว", "รายงานเพิ่ม", "แก้ตัวเลขที่ผิด", "ยืนยัน")
    assert [r.number for r in rows(bot, ProgressReport, project.id)] == [1, 3]


def test_a_photo_line_cannot_hand_over_is_asked_again_and_the_report_goes_on(team) -> None:
    bot, project = team
    talk(bot, "Usomchai", *SHORT_REPORT)
    bot.world.inject_fault("/v2/bot/message/", status=500, times=1)
    assert "รับไฟล์นี้ไม่สำเร็จ" in send(bot, "Usomchai", JPEG)
    assert "รวม 1 ไฟล์" in send(bot, "Usomchai", JPEG)  # sent again: kept
    talk(bot, "Usomchai", "เสร็จ", "ยืนยัน")
    assert len(rows(bot, ReportAttachment, project.id)) == 1

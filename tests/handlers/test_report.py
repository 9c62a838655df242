"""The report conversation end to end: signed webhook, real SDK, local LINE server, real database."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest

from bot.localline import group_source, postback_event
from storage.plan_models import ProgressReport, ReportRevision
from tests.conftest import RunningBot
from tests.handlers.helpers import ask, bind_group, load_plans

GROUP = "Cwork"
CODE = "50310000-3105"  # the training project of the sample plan: steps 10/15/50/15/10


@pytest.fixture
def team(bot: RunningBot):
    unit_a, _ = load_plans(bot)
    project = next(p for p in unit_a if p.code == CODE)
    other = next(p for p in unit_a if "ขยะ" in p.name)
    bind_group(bot, GROUP, [project.id, other.id], ["Usomchai", "Usomying"])
    bot.world.add_user("Usomchai", "สมชาย ใจดี")
    return bot, project, other


def reports(bot: RunningBot, project_id: int) -> list[ProgressReport]:
    with bot.services.sessions() as session:
        rows = session.query(ProgressReport).filter_by(project_id=project_id).order_by(ProgressReport.number)
        return list(rows)


def talk(bot: RunningBot, user: str, *lines: str) -> list[str]:
    return [ask(bot, group_source(GROUP, user), line) for line in lines]


def test_a_full_report_in_a_group(team) -> None:
    bot, project, _ = team
    answers = talk(
        bot, "Usomchai",
        "รายงาน อบรม", "1", "50", "จัดทำคำสั่งแต่งตั้งคณะทำงานแล้ว", "12,500", "ไม่มี", "ข้าม", "ยืนยัน",
    )  # fmt: skip
    assert "ขั้นตอนใดเสร็จแล้ว" in answers[0]
    assert "ขั้นที่ 2" in answers[1]  # the first unfinished step
    assert "17.5%" in answers[2]  # 10 + half of 15
    assert "แนบรูปหรือไฟล์" in answers[5]
    assert "สรุปรายงานครั้งที่ 1" in answers[6]  # the card's alt text
    assert "บันทึกรายงานครั้งที่ 1 แล้ว" in answers[7] and "ขอบคุณ" in answers[7]
    [report] = reports(bot, project.id)
    assert (report.number, report.percent, report.budget_disbursed) == (1, Decimal("17.5"), Decimal(12500))
    assert report.work_done == "จัดทำคำสั่งแต่งตั้งคณะทำงานแล้ว" and report.obstacles is None
    assert report.reporter_user_id == "Usomchai" and report.reporter_name == "สมชาย ใจดี"
    assert json.loads(report.step_progress) == {"completed": ["1"], "in_progress": ["2", "0.5"], "reason": None}
    assert report.on_plan is True
    cards = [m for d in bot.world.deliveries(to=GROUP) for m in d.messages if m["type"] == "flex"]
    assert len(cards) == 1 and cards[0]["contents"]["type"] == "bubble"
    assert all(d.kind == "reply" for d in bot.world.deliveries())  # every answer used the free reply


def test_two_people_reporting_in_one_group_never_share_a_draft(team) -> None:
    bot, project, other = team
    somchai = ["รายงาน อบรม", "1", "50", "ทำคำสั่งแล้ว", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน"]
    somying = ["รายงาน ขยะ", "30%", "สำรวจจุดทิ้งขยะอันตรายแล้ว", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน"]
    for a, b in zip(somchai, somying + [None], strict=True):
        talk(bot, "Usomchai", a)
        if b is not None:
            talk(bot, "Usomying", b)
    [mine] = reports(bot, project.id)
    [hers] = reports(bot, other.id)
    assert (mine.reporter_user_id, mine.percent) == ("Usomchai", Decimal("17.5"))
    assert (hers.reporter_user_id, hers.percent, hers.work_done) == ("Usomying", 30, "สำรวจจุดทิ้งขยะอันตรายแล้ว")


def test_a_restart_in_the_middle_loses_nothing(team, bot_factory) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", "รายงาน อบรม", "1", "50")
    again = bot_factory()  # a second process on the same database and state store
    for line in ("ทำคำสั่งแล้ว", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน"):
        answer = ask(again, group_source(GROUP, "Usomchai"), line)
    assert "บันทึกรายงานครั้งที่ 1" in answer
    assert reports(bot, project.id)[0].percent == Decimal("17.5")


def test_an_abandoned_draft_times_out_and_can_be_resumed(team, bot_factory) -> None:
    _, project, _ = team
    bot = bot_factory(conversation_ttl_seconds=2)
    talk(bot, "Usomchai", "รายงาน อบรม", "1")
    time.sleep(3.5)  # well past the idle limit, also on a loaded machine
    [offer] = talk(bot, "Usomchai", "50")
    assert "หมดเวลา" in offer and "ทำต่อ" in offer
    [back] = talk(bot, "Usomchai", "ทำต่อ")
    assert "ขั้นที่ 2" in back
    talk(bot, "Usomchai", "50", "ทำคำสั่งแล้ว", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน")
    assert len(reports(bot, project.id)) == 1


def test_thai_digits_everywhere(team) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", "รายงาน ๕๐๓๑๐๐๐๐-๓๑๐๕", "๑,๒", "๕๐", "อบรมรุ่นที่ ๑ แล้ว", "๑๒,๕๐๐.๕๐", "ไม่มี", "ข้าม", "ยืนยัน")
    [report] = reports(bot, project.id)
    assert report.percent == Decimal(50) and report.budget_disbursed == Decimal("12500.50")


def test_a_lower_figure_needs_a_reason(team) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", f"รายงาน {CODE} 40% ขออนุมัติและทำคำสั่งแล้ว", "ยืนยัน")
    answers = talk(bot, "Usomchai", "รายงาน อบรม", "รายงานเพิ่ม", "แก้ไขตัวเลขหลังทบทวนแผน", "30%",
                   "ปรับแผนตามมติที่ประชุม", "ทบทวนแผนการอบรม", "0", "ไม่มี", "ข้าม", "ยืนยัน")  # fmt: skip
    assert "ต่ำกว่ารายงานครั้งก่อน (40%)" in answers[3]
    first, second = reports(bot, project.id)
    assert (first.number, second.number, second.percent) == (1, 2, 30)
    assert json.loads(second.step_progress)["reason"] == "ปรับแผนตามมติที่ประชุม"


def test_an_edit_keeps_the_old_version(team) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", f"รายงาน {CODE} 20% ขออนุมัติโครงการแล้ว", "ยืนยัน")
    answers = talk(bot, "Usomchai", "แก้ไขรายงาน อบรม", "แก้ไข", "งบประมาณ", "3,000", "ยืนยัน")
    assert "แก้ไขรายงานครั้งที่ 1" in answers[0]
    assert "แก้ไขรายงานครั้งที่ 1 แล้ว" in answers[-1]
    [report] = reports(bot, project.id)
    assert report.budget_disbursed == 3000 and report.percent == 20
    with bot.services.sessions() as session:
        [old] = session.query(ReportRevision).all()
    assert json.loads(old.data)["budget_disbursed"] == "0.00" and old.replaced_by == "Usomchai"


def test_an_old_button_gets_a_clear_answer(team) -> None:
    bot, _, _ = team
    source = group_source(GROUP, "Usomchai")
    event = postback_event(source, "kaona=report&n=deadbeef&a=confirm",
                           reply_token=bot.world.issue_reply_token(source))  # fmt: skip
    bot.client.post([event])
    bot.settle()
    assert "จบหรือยกเลิกไปแล้ว" in bot.world.texts(to=GROUP)[-1]


def test_a_reminder_button_starts_a_report_on_its_project(team) -> None:
    bot, project, _ = team
    source = group_source(GROUP, "Usomchai")
    event = postback_event(source, f"kaona=report&a=start&p={project.id}",
                           reply_token=bot.world.issue_reply_token(source))  # fmt: skip
    bot.client.post([event])
    bot.settle()
    assert f"รายงานครั้งที่ 1: {project.name}" in bot.world.texts(to=GROUP)[-1]


def test_one_person_reports_two_projects_in_two_chats(team) -> None:
    bot, project, other = team
    bind_group(bot, "Cother", [other.id], ["Usomchai"])
    in_work = group_source(GROUP, "Usomchai")
    in_other = group_source("Cother", "Usomchai")
    ask(bot, in_work, "รายงาน อบรม")
    ask(bot, in_other, "รายงาน")  # the only project of that group: straight to its steps
    ask(bot, in_work, "20%")
    ask(bot, in_other, "60%")
    for source in (in_work, in_other):
        for line in ("ทำตามแผนแล้ว", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน"):
            ask(bot, source, line)
    assert [r.percent for r in reports(bot, project.id)] == [20]
    assert [r.percent for r in reports(bot, other.id)] == [60]


def test_fifty_people_confirming_at_once_one_saves_and_the_others_are_told(team) -> None:
    bot, project, _ = team
    people = [f"Ureporter{n:02d}" for n in range(50)]
    bind_group(bot, GROUP, [], people)
    errors: list[str] = []

    def send(user: str, *lines: str) -> None:
        for line in lines:
            status = bot.client.send_text(group_source(GROUP, user), line).status
            if status != 200:
                errors.append(f"{user}: {status}")

    def together(*lines: str) -> None:
        threads = [threading.Thread(target=send, args=(user, *[x.format(user=user) for x in lines])) for user in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        bot.settle(timeout=180)

    together(f"รายงาน {CODE} 50% รายงานโดย {{user}}", "ยืนยัน")
    assert errors == []
    [first] = reports(bot, project.id)  # one saved; the 49 others were told before saving
    told = [t for t in bot.world.texts(to=GROUP) if "มีรายงานครั้งที่ 1 แล้ว" in t or "เพิ่งบันทึกรายงานครั้งที่ 1" in t]
    assert len(told) >= 49
    others = [p for p in people if p != first.reporter_user_id]
    people[:] = others
    together("รายงานเพิ่ม", "ข้อมูลของ {user} เพิ่มเติม", "ยืนยัน")  # each adds theirs, with a reason
    saved = reports(bot, project.id)
    assert sorted(r.number for r in saved) == list(range(1, 51))
    assert bot.sql("SELECT count(*) FROM inbox_events WHERE status <> 'done'") == [(0,)]


def test_a_typed_percent_keeps_the_steps_for_next_time(team) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", "รายงาน อบรม", "1,2", "0", "ทำคำสั่งแล้ว", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน")
    talk(bot, "Usomchai", f"รายงาน {CODE} 40% เริ่มอบรมรุ่นแรก", "รายงานเพิ่ม", "เริ่มอบรมรุ่นแรกแล้ว", "ยืนยัน")
    talk(bot, "Usomchai", "รายงาน อบรม", "รายงานเพิ่ม")
    [steps] = talk(bot, "Usomchai", "อบรมรุ่นที่สองเพิ่ม")
    assert "✅ 1." in steps and "✅ 2." in steps and "⬜ 3." in steps
    assert json.loads(reports(bot, project.id)[1].step_progress)["completed"] == ["1", "2"]


def test_an_edit_is_compared_with_the_report_before_it_and_keeps_who_and_when(team) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", f"รายงาน {CODE} 40% ขออนุมัติแล้ว", "ยืนยัน")
    talk(bot, "Usomying", f"รายงาน {CODE} 60% ทำคำสั่งแล้ว", "รายงานเพิ่ม", "ทำคำสั่งแต่งตั้งเสร็จเพิ่ม", "ยืนยัน")
    answers = talk(bot, "Usomchai", "แก้ไขรายงาน อบรม", "แก้ไข", "ความก้าวหน้า", "55%")
    assert "ต่ำกว่า" not in answers[-1]  # 55 is above report 1 (40); report 2 is the one being edited
    talk(bot, "Usomchai", "ยืนยัน")
    first, second = reports(bot, project.id)
    assert second.percent == 55 and second.reporter_user_id == "Usomying"  # the reporter stays


def test_cancel_after_the_timeout_cancels(team, bot_factory) -> None:
    _, project, _ = team
    bot = bot_factory(conversation_ttl_seconds=1)
    talk(bot, "Usomchai", "รายงาน อบรม")
    time.sleep(1.5)
    [answer] = talk(bot, "Usomchai", "ยกเลิก")
    assert "ยกเลิกการรายงานแล้ว" in answer


def test_a_reminder_button_during_a_report_starts_again_on_its_project(team) -> None:
    bot, project, other = team
    talk(bot, "Usomchai", "รายงาน อบรม", "1")
    source = group_source(GROUP, "Usomchai")
    event = postback_event(source, f"kaona=report&a=start&p={other.id}", reply_token=bot.world.issue_reply_token(source))
    bot.client.post([event])
    bot.settle()
    assert f"รายงานครั้งที่ 1: {other.name}" in bot.world.texts(to=GROUP)[-1]


def test_chatter_that_starts_with_the_word_report_is_left_alone(team) -> None:
    bot, _, _ = team
    assert talk(bot, "Usomchai", "รายงาน ผลการประชุมเมื่อวานส่งในอีเมลแล้วนะ") == [""]
    assert talk(bot, "Usomchai", "โอเค") == [""]  # no conversation was opened


def test_a_command_typed_mid_report_runs_and_the_report_waits(team) -> None:
    bot, project, _ = team
    talk(bot, "Usomchai", "รายงาน อบรม")
    [status] = talk(bot, "Usomchai", "สถานะ อบรม")
    assert project.name in status and "การรายงานที่ทำค้างไว้ยังรออยู่" in status
    talk(bot, "Usomchai", "1", "50")
    [work] = talk(bot, "Usomchai", "สถานะ: ทำคำสั่งแต่งตั้งแล้ว")  # free text here: it is the answer
    assert "เบิกจ่าย" in work
    talk(bot, "Usomchai", "ไม่มี", "ไม่มี", "ข้าม", "ยืนยัน")
    assert reports(bot, project.id)[0].work_done == "สถานะ: ทำคำสั่งแต่งตั้งแล้ว"


def test_a_draft_saved_by_an_older_version_is_dropped_not_stuck(team) -> None:
    bot, _, _ = team
    bot.services.state.set(f"report:{GROUP}:Usomchai", '{"nonce": "x", "state": "steps", "gone": 1}', ttl=600)
    [answer] = talk(bot, "Usomchai", "ช่วยเหลือ")
    assert "คำสั่งที่ใช้" in answer
    assert bot.services.state.get(f"report:{GROUP}:Usomchai") is None


def test_a_step_whose_commit_failed_is_redone_from_where_it_was(team, bot_factory) -> None:
    from handlers.dispatch import dispatch

    failures = {"left": 1}

    def flaky(event, deps):
        answer = dispatch(event, deps)
        if event.text == "1" and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("the commit failed")
        return answer

    bot = bot_factory(dispatch=flaky)
    talk(bot, "Usomchai", "รายงาน อบรม")
    [answer] = talk(bot, "Usomchai", "1")  # handled twice: the first try rolled back
    assert "ขั้นที่ 2" in answer and "ดำเนินการไปแล้ว" in answer
    [work] = talk(bot, "Usomchai", "50")
    assert "17.5%" in work

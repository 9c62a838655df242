"""Issue 12's cases of the report conversation, as staff really use it: one table row
(or a small test) for each defect found."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from flows import report as flow
from flows import report_text as T
from flows.draft import Choice, Draft, MonthReport, ProjectView, StepView
from flows.replies import Say, SummaryCard
from flows.report_input import Input, step_answer
from flows.report_prompts import choice_labels
from tests.flows.test_report import AGAIN, CHOICES, PROJECT, fresh, loaded, reach, run, say, texts

# Seed 000's ITA project numbers its steps 1.1, 1.2 ...
SUB = ProjectView(
    id=9, name="โครงการประเมินคุณธรรมและความโปร่งใส (ITA)", code=None, planned_now=Decimal(20), last_number=0,
    last_percent=None, budget=None,
    steps=(StepView("1.1", "แต่งตั้งคณะทำงาน", Decimal(10)), StepView("1.2", "จัดทำแผน", Decimal(10)),
           StepView("2", "เก็บข้อมูลตามแบบ OIT", Decimal(50)), StepView("3", "สรุปผล", Decimal(30))),
)  # fmt: skip


def card(draft: Draft) -> SummaryCard:
    return next(r for r in flow.prompt(draft) if isinstance(r, SummaryCard))


def buttons(outcome_or_draft) -> list[str]:
    replies = flow.prompt(outcome_or_draft) if isinstance(outcome_or_draft, Draft) else outcome_or_draft.replies
    return [b.label for r in replies if isinstance(r, Say) for b in r.buttons]


# 1. Sub-numbered steps ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "done"),
    [("1", ("1.1", "1.2")), ("1.1 1.2", ("1.1", "1.2")), ("1.1-1.2", ("1.1", "1.2")), ("๑.๑", ("1.1",)),
     ("1.1,2", ("1.1", "2")), ("ขั้นที่ 1.2", ("1.2",)), ("1-2", ("1.1", "1.2", "2")), ("๑", ("1.1", "1.2"))],
)  # fmt: skip
def test_sub_numbered_steps_are_read_as_typed(typed: str, done: tuple[str, ...]) -> None:
    draft = run(loaded(fresh(), SUB), typed)
    assert draft.completed == done and not draft.percent_typed


def test_one_is_a_group_of_steps_not_one_percent() -> None:
    outcome = say(loaded(fresh(), SUB), "1")
    assert "1%" not in texts(outcome) and outcome.draft.state == "in_progress"


def test_one_comma_two_means_steps_one_and_two() -> None:
    assert run(loaded(fresh()), "1,2").completed == ("1", "2")  # PROJECT's steps are 1..5


@pytest.mark.parametrize("project", [PROJECT, SUB], ids=["plain", "sub-numbered"])
def test_the_example_in_the_question_works_for_the_project(project: ProjectView) -> None:
    text = texts(flow.loaded(fresh(), project))
    example = text.split("เช่น ", 1)[1].split(" ", 1)[0]
    assert step_answer(example, project) is not None, example
    if project is SUB:
        assert example == "1.1,1.2"


# 2. Reporting twice in a month ------------------------------------------------------------


def test_a_second_report_in_the_month_says_who_and_when_and_offers_edit_or_extra() -> None:
    outcome = flow.loaded(fresh(choices=CHOICES), AGAIN)
    assert outcome.draft.state == "already"
    assert "รายงานครั้งที่ 2 แล้ว โดยคุณสมชาย ใจดี เมื่อ 3 พ.ย. 2569" in texts(outcome)
    assert buttons(outcome)[:2] == ["แก้ไขรายงานเดิม", "รายงานเพิ่ม"]


def test_edit_that_one_loads_it_as_an_edit() -> None:
    outcome = say(reach("already"), "แก้ไข")
    assert outcome.effect == flow.Load(7) and outcome.draft.mode == "edit"


def test_an_extra_report_needs_a_reason_that_the_card_shows() -> None:
    draft = run(reach("extra_reason"), "มีความคืบหน้าเพิ่มหลังประชุม")
    assert draft.state == "steps" and draft.extra_reason == "มีความคืบหน้าเพิ่มหลังประชุม"
    draft = run(draft, "3", "50", "อบรม", "0", "ไม่มี", "ข้าม")
    assert any("มีความคืบหน้าเพิ่มหลังประชุม" in n for n in card(draft).notes)


def test_someone_saving_first_is_told_plainly_before_saving() -> None:
    at_card = reach("confirm")
    outcome = flow.overtaken(at_card, MonthReport(number=3, by="สมหญิง", on="2026-11-21"))
    assert outcome.draft.state == "already" and outcome.effect is None
    assert "สมหญิง เพิ่งบันทึกรายงานครั้งที่ 3" in texts(outcome) and "ยังไม่ถูกบันทึก" in texts(outcome)
    assert "แก้ไขรายงานเดิม" not in buttons(outcome)  # what was typed is not thrown away
    draft = run(outcome.draft, "รายงานเพิ่ม", "ข้อมูลคนละส่วนกัน")
    assert draft.state == "confirm" and card(draft).title == "สรุปรายงานครั้งที่ 4"
    assert flow.step(draft, Input(text="ยืนยัน")).effect == flow.Save(draft)


# 4. Edits that keep what was said -----------------------------------------------------------


def edit_draft() -> Draft:
    """แก้ไขรายงาน of report 3: steps 1-3 done, 4 half, with work, budget, obstacles."""
    start = fresh(mode="edit").with_(edit_number=3, percent=Decimal("82.5"), completed=("1", "2", "3"),
                                     in_progress=("4", Decimal("0.5")), work_done="อบรมครบ", budget=Decimal(5000),
                                     obstacles="ฝนตก")  # fmt: skip
    return loaded(start)


def test_an_edit_of_one_field_keeps_every_other() -> None:
    draft = run(edit_draft(), "แก้ไข", "ความก้าวหน้า", "4", "0")
    assert draft.state == "confirm" and draft.completed == ("1", "2", "3", "4")
    assert (draft.work_done, draft.budget, draft.obstacles) == ("อบรมครบ", 5000, "ฝนตก")


def test_the_current_value_is_shown_with_a_keep_button() -> None:
    draft = run(edit_draft(), "แก้ไข", "ผลการดำเนินงาน")
    assert "ค่าเดิม: อบรมครบ" in texts(say(draft, "ช่วยเหลือ")) and T.KEEP in buttons(draft)
    assert run(draft, T.KEEP).work_done == "อบรมครบ" and run(draft, T.KEEP).state == "confirm"


def test_none_keeps_the_ticked_steps_and_a_tick_can_be_taken_off() -> None:
    at_steps = run(edit_draft(), "แก้ไข", "ความก้าวหน้า")
    assert "✅ 3." in texts(say(at_steps, "ช่วยเหลือ")) and "ยังไม่เสร็จ 3" in buttons(at_steps)
    assert run(at_steps, "ไม่มี").completed == ("1", "2", "3")  # not silently cleared
    assert run(at_steps, "ยังไม่เสร็จ 3").completed == ("1", "2")


def test_back_from_the_first_question_of_an_edit_returns_to_the_card() -> None:
    for field in ("ผลการดำเนินงาน", "ความก้าวหน้า", "งบประมาณ"):
        assert run(edit_draft(), "แก้ไข", field, "ย้อนกลับ").state == "confirm"


def test_a_new_report_edited_from_its_card_goes_back_to_the_card() -> None:
    draft = run(reach("confirm"), "แก้ไข", "ความก้าวหน้า", "4", "0")
    assert draft.state == "confirm" and draft.work_done == "อบรมรุ่นแรกแล้ว" and draft.budget == 5000


# 5. Nothing this month --------------------------------------------------------------------


def test_nothing_this_month_is_one_tap_and_a_reason() -> None:
    at_steps = loaded(fresh())
    assert T.NOTHING_BUTTON in buttons(at_steps)
    draft = run(at_steps, T.NOTHING_TYPED, "รอผลการอนุมัติงบประมาณ")
    assert draft.state == "confirm" and draft.mode == "nothing"
    assert (draft.percent, draft.completed, draft.budget) == (Decimal(40), ("1", "2"), 0)
    assert draft.obstacles == "รอผลการอนุมัติงบประมาณ" and draft.work_done == T.NOTHING_WORK
    assert T.NOTHING_WORK in card(draft).steps


def test_nothing_this_month_needs_a_reason() -> None:
    draft = run(loaded(fresh()), T.NOTHING_TYPED)
    assert say(draft, "ไม่มี").draft.strikes == 1


# 8. Wording and small traps --------------------------------------------------------------------


def test_the_weight_says_percent_once() -> None:
    text = texts(say(loaded(fresh()), "3"))
    assert "น้ำหนัก 15% ของโครงการ" in text and "ร้อยละ 15%" not in text


def test_the_card_says_not_started_not_zero_percent() -> None:
    draft = run(loaded(fresh()), "3", "ยังไม่เริ่ม", "อบรม", "0", "ไม่มี", "ข้าม")
    assert "ขั้นที่ 4 ยังไม่เริ่ม" in card(draft).steps and "(0%)" not in card(draft).steps


def test_no_budget_question_for_a_project_without_budget() -> None:
    draft = run(loaded(fresh(), SUB), "1", "50", "แต่งตั้งคณะทำงานแล้ว")
    assert draft.state == "obstacles" and draft.budget == 0
    draft = run(draft, "ไม่มี", "ข้าม")
    assert T.NO_BUDGET_NOTE in card(draft).notes
    assert "งบประมาณ" not in buttons(run(draft, "แก้ไข"))


def test_the_shortcut_says_what_it_assumed() -> None:
    start = flow.start(fresh(), CHOICES, "50310000-3105 90% อบรมครบแล้ว")
    draft = loaded(start.draft)
    assert T.SHORTCUT_NOTE in card(draft).notes
    assert T.SHORTCUT_NOTE not in card(run(draft, "แก้ไข", "งบประมาณ", "3,000")).notes


def test_thanks_after_saving() -> None:
    assert "ขอบคุณ" in flow.saved_text("ก", 1, Decimal(5), "เป็นไปตามแผน", edited=False)


@pytest.mark.parametrize(
    "names",
    [("โครงการอบรมอาสาสมัคร", "โครงการจัดเก็บขยะอันตราย"),
     ("โครงการพัฒนาศักยภาพบุคลากรด้านการเงิน", "โครงการพัฒนาศักยภาพบุคลากรด้านพัสดุ"),
     ("โครงการส่งเสริมสุขภาพผู้สูงอายุในชุมชน", "โครงการส่งเสริมสุขภาพผู้สูงอายุในโรงเรียน")],
)  # fmt: skip
def test_project_buttons_can_be_told_apart(names: tuple[str, str]) -> None:
    labels = choice_labels(tuple(Choice(n, name, f"5031-{n}") for n, name in enumerate(names)))
    assert len(set(labels)) == 2 and not any(label.startswith("โครงการ") for label in labels)


# Buttons carry whose conversation they are -------------------------------------------------------


def test_every_button_carries_the_nonce_and_the_owner() -> None:
    draft = replace(reach("confirm"), owner="Usomchai")
    data = [b.data for r in flow.prompt(draft) if isinstance(r, Say) for b in r.buttons]
    assert data and all(d and "n=abcd1234" in d and "o=Usomchai" in d for d in data)


def test_the_timeout_is_the_flows_rule() -> None:
    draft = reach("work")
    assert flow.receive(draft, Input(text="อบรม"), idle=10, ttl=60).draft.state == "budget"
    assert flow.receive(draft, Input(text="อบรม"), idle=61, ttl=60).draft.state == "resume"
    assert flow.receive(draft, Input(text="ยกเลิก"), idle=61, ttl=60).draft is None


def test_nothing_this_month_told_late_takes_the_figure_of_the_report_saved_first() -> None:
    draft = run(loaded(fresh()), T.NOTHING_TYPED, "รออนุมัติ")
    month = MonthReport(number=3, by="สมหญิง", on="2026-11-21", percent=Decimal(55), completed=("1", "2", "3"))
    draft = run(flow.overtaken(draft, month).draft, "รายงานเพิ่ม", "ยืนยันว่าเดือนนี้ไม่คืบหน้า")
    assert (draft.state, draft.percent, draft.completed) == ("confirm", Decimal(55), ("1", "2", "3"))


def test_nothing_on_a_first_report_does_not_speak_of_last_time() -> None:
    first = replace(PROJECT, last_number=0, last_percent=None, last_completed=())
    draft = run(loaded(fresh(), first), T.NOTHING_TYPED)
    assert "ยังไม่เคยมีรายงาน" in texts(flow.step(draft, Input(text="?")))
    assert "ครั้งก่อน" not in card(run(draft, "รออนุมัติ")).steps

"""The report conversation's pure state machine: every state x every kind of answer."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from flows import report as flow
from flows import report_text as T
from flows.draft import Choice, Draft, MonthReport, ProjectView, StepView
from flows.replies import Say, SummaryCard
from flows.report_input import Input

STEPS = (
    StepView("1", "ขออนุมัติโครงการ", Decimal(10), ("2026-10", "2026-11")),
    StepView("2", "จัดทำคำสั่งแต่งตั้ง", Decimal(15), ("2026-12",)),
    StepView("3", "ดำเนินการฝึกอบรม", Decimal(50), ("2027-01", "2027-02", "2027-03")),
    StepView("4", "ติดตามและประเมินผล", Decimal(15), ("2027-04", "2027-05")),
    StepView("5", "รายงานผล", Decimal(10), ("2027-06", "2027-07")),
)
PROJECT = ProjectView(
    id=7, name="โครงการอบรมอาสาสมัคร", code="50310000-3105", steps=STEPS, planned_now=Decimal("8.5"),
    last_number=2, last_percent=Decimal(40), last_completed=("1", "2"), budget=Decimal(120000),
    disbursed=Decimal(100000),
)  # fmt: skip
AGAIN = replace(PROJECT, month_report=MonthReport(number=2, by="สมชาย ใจดี", on="2026-11-03"))
CHOICES = (Choice(7, "โครงการอบรมอาสาสมัคร", "50310000-3105"), Choice(8, "โครงการจัดเก็บขยะอันตราย"))


def fresh(**changes) -> Draft:
    changes.setdefault("in_group", True)
    return Draft(nonce="abcd1234", state="choose", started_at="t", updated_at="t", **changes)


def texts(outcome: flow.Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies if isinstance(r, Say))


def say(draft: Draft, typed: str) -> flow.Outcome:
    return flow.step(draft, Input(text=typed))


def loaded(draft: Draft, project: ProjectView = PROJECT) -> Draft:
    outcome = flow.loaded(draft, project)
    assert outcome.draft is not None
    return outcome.draft


def run(draft: Draft, *answers: str) -> Draft:
    for typed in answers:
        outcome = say(draft, typed)
        assert outcome.draft is not None, (draft.state, typed, texts(outcome))
        draft = outcome.draft
    return draft


def reach(state: str) -> Draft:
    """A realistic draft in ``state``, reached by talking to the machine."""
    at_steps = loaded(fresh(choices=CHOICES))
    paths = {
        "choose": lambda: flow.start(fresh(), CHOICES, "").draft,
        "steps": lambda: at_steps,
        "in_progress": lambda: run(at_steps, "3"),
        "reason": lambda: run(at_steps, "30%"),
        "work": lambda: run(at_steps, "3", "50"),
        "budget": lambda: run(at_steps, "3", "50", "อบรมรุ่นแรกแล้ว"),
        "budget_confirm": lambda: run(at_steps, "3", "50", "อบรมรุ่นแรกแล้ว", "50,000"),
        "obstacles": lambda: run(at_steps, "3", "50", "อบรมรุ่นแรกแล้ว", "5,000"),
        "evidence": lambda: run(at_steps, "3", "50", "อบรมรุ่นแรกแล้ว", "5,000", "ไม่มี"),
        "confirm": lambda: run(at_steps, "3", "50", "อบรมรุ่นแรกแล้ว", "5,000", "ไม่มี", "ข้าม"),
        "edit_field": lambda: run(at_steps, "3", "50", "อบรมรุ่นแรกแล้ว", "5,000", "ไม่มี", "ข้าม", "แก้ไข"),
        "already": lambda: loaded(fresh(choices=CHOICES), AGAIN),
        "extra_reason": lambda: run(loaded(fresh(choices=CHOICES), AGAIN), "รายงานเพิ่ม"),
        "nothing_reason": lambda: run(at_steps, "ไม่มีความก้าวหน้าเดือนนี้"),
        "resume": lambda: flow.expire(run(at_steps, "3"), minutes=30).draft,
    }
    draft = paths[state]()
    assert draft is not None and draft.state == state
    return draft


# (state, a valid answer, the state it leads to, an invalid answer)
TABLE = [
    ("choose", "ขยะ", "choose", "งบลงทุนถนน"),  # valid narrows to one: Load (checked below)
    ("steps", "3", "in_progress", "อะไรก็ได้"),
    ("in_progress", "50", "work", "ครึ่ง ๆ"),
    ("reason", "ปรับแผนตามมติที่ประชุม", "work", "ไม่มี"),
    ("work", "อบรมรุ่นแรก 40 คน", "budget", "-"),
    ("budget", "๑๒,๕๐๐.๕๐", "obstacles", "หลายบาท"),
    ("budget_confirm", "ยืนยัน", "obstacles", "อาจจะ"),
    ("obstacles", "ฝนตกหนัก เลื่อนอบรม", "evidence", None),  # any text is an answer here
    ("evidence", "ข้าม", "confirm", "อะไรนะ"),
    ("already", "รายงานเพิ่ม", "extra_reason", "ไม่รู้สิ"),
    ("extra_reason", "มีความคืบหน้าเพิ่มหลังประชุม", "steps", "-"),
    ("nothing_reason", "รอผลการอนุมัติงบประมาณ", "confirm", "-"),
    ("confirm", "แก้ไข", "edit_field", "โอเคมั้ง"),
    ("edit_field", "งบประมาณ", "budget", "สีฟ้า"),
    ("resume", "ทำต่อ", "in_progress", "ไม่แน่ใจ"),
]
STATES = [row[0] for row in TABLE]
WITH_INVALID = [row for row in TABLE if row[3] is not None]


def test_every_state_is_in_the_table() -> None:
    assert set(STATES) == set(flow.STATES)


@pytest.mark.parametrize(("state", "valid", "after", "invalid"), TABLE, ids=STATES)
def test_a_valid_answer_moves_on(state: str, valid: str, after: str, invalid: str) -> None:
    outcome = say(reach(state), valid)
    if state == "choose":
        assert outcome.effect == flow.Load(8)
        return
    assert outcome.draft is not None and outcome.draft.state == after, texts(outcome)
    assert outcome.draft.strikes == 0


@pytest.mark.parametrize(("state", "valid", "after", "invalid"), WITH_INVALID, ids=[r[0] for r in WITH_INVALID])
def test_an_invalid_answer_reprompts_with_an_example_and_counts(state, valid, after, invalid) -> None:
    draft = reach(state)
    outcome = say(draft, invalid)
    assert outcome.draft is not None and outcome.draft.state == state
    assert outcome.draft.strikes == 1 and texts(outcome)
    third = say(say(outcome.draft, invalid).draft, invalid)
    if state in ("choose", "resume"):  # in a group: most likely chatter, so it ends
        assert third.draft is None and T.GAVE_UP in texts(third)
    else:
        assert third.draft.strikes == 3 and "ยกเลิก" in texts(third)  # offers a way out


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("word", ["ยกเลิก", "cancel", "CANCEL"])
def test_cancel_ends_from_every_state(state: str, word: str) -> None:
    outcome = say(reach(state), word)
    assert outcome.draft is None and T.CANCELLED in texts(outcome)
    assert outcome.effect is None


@pytest.mark.parametrize("state", STATES)
def test_back_goes_to_the_previous_step(state: str) -> None:
    draft = reach(state)
    outcome = say(draft, "ย้อนกลับ")
    assert outcome.draft is not None
    if draft.history:
        assert outcome.draft.state == draft.history[-1]
    else:
        assert outcome.draft.state == state and T.FIRST_STEP in texts(outcome)


@pytest.mark.parametrize("state", STATES)
def test_help_explains_without_losing_the_place(state: str) -> None:
    draft = reach(state)
    outcome = say(draft, "ช่วยเหลือ")
    assert outcome.draft == draft
    assert len(outcome.replies) >= 2  # the explanation, then the question again


@pytest.mark.parametrize("state", STATES)
def test_a_button_from_another_conversation_is_answered_and_changes_nothing(state: str) -> None:
    draft = reach(state)
    outcome = flow.step(draft, Input(text="ยืนยัน", action="confirm", nonce="old00000"))
    assert outcome.draft == draft and outcome.effect is None
    assert T.STALE_BUTTON in texts(outcome)


def test_start_with_no_projects_explains_how_to_bind() -> None:
    outcome = flow.start(fresh(), (), "")
    assert outcome.draft is None and "ผูกโครงการ" in texts(outcome)


def test_start_with_one_project_or_a_precise_name_loads_it() -> None:
    assert flow.start(fresh(), CHOICES[:1], "").effect == flow.Load(7)
    assert flow.start(fresh(), CHOICES, "อบรม").effect == flow.Load(7)
    assert flow.start(fresh(), CHOICES, "๕๐๓๑๐๐๐๐-๓๑๐๕").effect == flow.Load(7)


def test_many_projects_ask_for_part_of_the_name() -> None:
    many = tuple(Choice(n, f"โครงการที่ {n}") for n in range(1, 20))
    outcome = flow.start(fresh(), many, "")
    assert "19 โครงการ" in texts(outcome)


def test_steps_show_status_and_the_plan() -> None:
    text = texts(flow.loaded(fresh(choices=CHOICES), PROJECT))
    assert "รายงานครั้งที่ 3" in text and "ควรมีความก้าวหน้า 8.5%" in text and "ครั้งก่อน: 40%" in text
    assert "✅ 1." in text and "✅ 2." in text and "⬜ 3." in text


@pytest.mark.parametrize(
    ("typed", "percent"),
    [("45%", 45), ("๔๕%", 45), ("45 เปอร์เซ็นต์", 45), ("ร้อยละ 45", 45), ("45", 45), ("62.5%", Decimal("62.5"))],
)
def test_an_overall_percent_can_be_typed(typed: str, percent) -> None:
    draft = run(loaded(fresh()), typed)
    assert draft.state == "work" and draft.percent == Decimal(percent) and draft.percent_typed


@pytest.mark.parametrize("typed", ["3", "๓", "ขั้นที่ 3", "3,4", "3 4", "3-4", "3 และ 4"])
def test_steps_can_be_typed_many_ways(typed: str) -> None:
    draft = run(loaded(fresh()), typed)
    assert "3" in draft.completed


def test_the_overall_percent_is_computed_from_the_weights() -> None:
    draft = run(loaded(fresh()), "3", "50")  # 10 + 15 + 50 done, step 4 (15) half done
    assert draft.percent == Decimal("82.5")


def test_all_steps_done_is_one_hundred_percent() -> None:
    draft = run(loaded(fresh()), "3-5")
    assert draft.state == "work" and draft.percent == 100


def test_a_figure_lower_than_last_time_asks_why() -> None:
    draft = run(loaded(fresh()), "30%")
    assert draft.state == "reason"
    draft = run(draft, "ปรับลดขอบเขตตามมติที่ประชุม")
    assert draft.reason == "ปรับลดขอบเขตตามมติที่ประชุม" and draft.state == "work"


def test_more_than_the_remaining_budget_asks_to_confirm() -> None:
    draft = reach("budget_confirm")
    assert draft.budget == Decimal(50000)
    assert "มากกว่างบประมาณคงเหลือ (20,000 บาท)" in texts(flow.step(draft, Input(text="?")))
    assert run(draft, "แก้ไข").state == "budget"


@pytest.mark.parametrize(("typed", "amount"), [("0", 0), ("ไม่มี", 0), ("12,500", 12500), ("๑๒,๕๐๐.๕๐", Decimal("12500.50")), ("12500 บาท", 12500)])
def test_budget_amounts(typed: str, amount) -> None:
    assert run(reach("budget"), typed).budget == Decimal(amount)


def test_confirm_shows_a_card_and_saves() -> None:
    draft = reach("confirm")
    outcome = flow.step(draft, Input(text="ยืนยัน", action="confirm", nonce=draft.nonce))
    assert outcome.effect == flow.Save(draft)
    card = next(r for r in flow.prompt(draft) if isinstance(r, SummaryCard))
    assert card.title == "สรุปรายงานครั้งที่ 3" and card.percent == Decimal("82.5")
    assert card.budget == 5000 and card.obstacles is None


def test_editing_one_field_returns_to_the_card() -> None:
    draft = run(reach("edit_field"), "ผลการดำเนินงาน", "อบรมครบทั้งสองรุ่นแล้ว")
    assert draft.state == "confirm" and draft.work_done == "อบรมครบทั้งสองรุ่นแล้ว"
    draft = run(draft, "แก้ไข", "ความก้าวหน้า", "3,4", "0")
    assert draft.state == "confirm" and draft.percent == 90  # steps 1-4 done, 5 not started
    assert draft.work_done == "อบรมครบทั้งสองรุ่นแล้ว"  # the other fields stay


def test_the_shortcut_goes_straight_to_the_card() -> None:
    start = flow.start(fresh(), CHOICES, "50310000-3105 90% อบรมครบแล้ว รอสรุปผล")
    assert start.effect == flow.Load(7)
    draft = loaded(start.draft)
    assert draft.state == "confirm"
    assert (draft.percent, draft.work_done, draft.budget) == (Decimal(90), "อบรมครบแล้ว รอสรุปผล", 0)


def test_resume_offers_and_restores_the_place() -> None:
    draft = reach("resume")
    assert run(draft, "ทำต่อ").state == "in_progress"
    assert flow.step(draft, Input(text="เริ่มใหม่")).effect == flow.Load(7)


def test_drafts_survive_json() -> None:
    for state in STATES:
        draft = reach(state)
        assert Draft.from_json(draft.to_json()) == draft


def test_an_empty_answer_repeats_the_question_without_a_strike() -> None:
    draft = reach("work")
    outcome = flow.step(draft, Input(text=""))
    assert outcome.draft == draft and texts(outcome) == T.WORK_ASK


def test_the_typed_step_list_is_what_counts_going_back_can_unmark() -> None:
    draft = run(loaded(fresh()), "3,4")
    assert draft.completed == ("1", "2", "3", "4")
    draft = run(draft, "ย้อนกลับ", "3")
    assert draft.completed == ("1", "2", "3")  # 4 was a mistake: gone


def test_a_typed_percent_keeps_the_steps_already_known() -> None:
    draft = run(loaded(fresh()), "45%")
    assert draft.completed == ("1", "2") and draft.percent_typed


def test_a_small_bare_number_that_is_no_step_asks_what_it_means() -> None:
    outcome = say(loaded(fresh()), "6")
    assert outcome.draft.state == "steps" and "“6%”" in texts(outcome)
    assert run(loaded(fresh()), "6%").percent == 6


def test_a_step_at_one_hundred_percent_counts_as_completed() -> None:
    draft = run(loaded(fresh()), "3", "100")
    assert draft.state == "in_progress" and draft.completed == ("1", "2", "3", "4")


def test_the_computed_percent_has_two_decimals_at_most() -> None:
    thirds = ProjectView(id=1, name="ก", code=None, planned_now=None, last_number=0, last_percent=None,
                         steps=tuple(StepView(str(n), f"ขั้น {n}", Decimal("33.33"), ()) for n in (1, 2)) +
                         (StepView("3", "ขั้น 3", Decimal("33.34"), ()),))  # fmt: skip
    draft = run(loaded(fresh(), thirds), "1", "33")
    assert draft.percent == Decimal("44.33")


@pytest.mark.parametrize("typed", ["1" * 30, "99,999,999,999,999,999", "-500", "หนึ่งหมื่น"])
def test_impossible_amounts_are_asked_again(typed: str) -> None:
    outcome = say(reach("budget"), typed)
    assert outcome.draft.state == "budget" and outcome.draft.strikes == 1


def test_the_shortcut_with_a_lower_figure_asks_why_then_goes_to_the_card() -> None:
    start = flow.start(fresh(), CHOICES, "50310000-3105 30% ปรับแผนการอบรม")
    draft = loaded(start.draft)
    assert draft.state == "reason"
    assert say(draft, "ย้อนกลับ").draft.state == "steps"
    assert run(draft, "ลดขอบเขตตามมติที่ประชุม").state == "confirm"


def test_restart_during_an_edit_stays_an_edit() -> None:
    draft = fresh(mode="edit")
    draft = loaded(draft.with_(edit_number=2, percent=Decimal(50), work_done="x", budget=Decimal(0)))
    resumed = flow.expire(draft, minutes=30).draft
    restarted = flow.step(resumed, Input(text="เริ่มใหม่")).draft
    assert restarted.mode == "edit" and restarted.edit_number is None


def test_in_a_group_three_wrong_answers_while_choosing_end_quietly() -> None:
    draft = flow.start(fresh(), CHOICES, "").draft
    draft = run(draft, "555", "โอเค")
    outcome = say(draft, "เดี๋ยวส่งนะ")
    assert outcome.draft is None and T.GAVE_UP in texts(outcome)
    alone = flow.start(fresh(in_group=False), CHOICES, "").draft
    assert say(run(alone, "555", "โอเค"), "เดี๋ยวส่งนะ").draft is not None  # one-to-one: keep helping


def test_choosing_by_button_sends_the_project_id() -> None:
    draft = flow.start(fresh(), CHOICES, "").draft
    outcome = flow.step(draft, Input(text="โครงการจัดเก็บขยะอันตราย", action="choose", value="8", nonce=draft.nonce))
    assert outcome.effect == flow.Load(8)
    labels = [b.label for b in flow.prompt(draft)[0].buttons]
    assert labels == ["1. อบรมอาสาสมัคร", "2. จัดเก็บขยะอันตราย"]


def test_back_after_a_step_in_progress_was_finished_goes_to_the_steps() -> None:
    """Found by the fuzzer: "100" at the step in progress counts it as completed, and
    ย้อนกลับ then asked about a step in progress that no longer existed (StopIteration)."""
    at_last = run(loaded(fresh(choices=CHOICES)), "1-4")  # steps 1-4 done: step 5 in progress
    assert at_last.state == "in_progress"
    at_work = run(at_last, "100")
    assert at_work.state == "work" and at_work.percent == 100
    back = say(at_work, "ย้อนกลับ")
    assert back.draft is not None and back.draft.state == "steps", texts(back)
    assert "ขั้นตอนใดเสร็จแล้ว" in texts(back)

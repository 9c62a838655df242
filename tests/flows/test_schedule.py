"""The schedule conversation: every state, its re-prompt, and the shared fallbacks."""

from __future__ import annotations

from datetime import time

import pytest

from flows import schedule as flow
from plans.schedule import Schedule

UNITS = [(1, "สำนักงานเขตบางซื่อ"), (2, "สำนักงานเขตบางซื่อ/ฝ่ายปกครอง")]


def _walk(draft: flow.ScheduleDraft, *typed: str) -> flow.Outcome:
    outcome = flow.Outcome(draft)
    for answer in typed:
        assert outcome.draft is not None
        outcome = flow.step(outcome.draft, answer)
    return outcome


def test_only_coordinators_get_a_conversation() -> None:
    outcome = flow.start([], {})
    assert outcome.draft is None and outcome.replies[0].text == flow.ONLY_COORDINATORS


def test_a_whole_conversation_saves_the_typed_schedule_thai_digits_too() -> None:
    start = flow.start(UNITS, {1: Schedule(), 2: Schedule()})
    assert start.draft is not None and start.draft.state == "unit"
    done = _walk(start.draft, "2", "๑๘", "21, 24", "คงเดิม", "26", "08.30", "ยืนยัน")
    assert done.draft is None
    assert done.effect == flow.SaveSchedule(2, Schedule(18, (21, 24), 25, 26, time(8, 30)))
    assert "08:30" in done.replies[0].text


def test_one_unit_skips_the_choice_and_keeps_its_current_values() -> None:
    start = flow.start(UNITS[:1], {1: Schedule(reminder_day=15, followup_days=(18,))})
    assert start.draft is not None and start.draft.state == "day"
    assert "15" in start.replies[0].text
    done = _walk(start.draft, "คงเดิม", "คงเดิม", "คงเดิม", "คงเดิม", "คงเดิม", "ยืนยัน")
    assert done.effect == flow.SaveSchedule(1, Schedule(reminder_day=15, followup_days=(18,)))


@pytest.mark.parametrize("state", ["day", "followups", "deadline", "digest", "time"])
def test_every_state_re_prompts_a_wrong_answer_and_takes_cancel_back_and_help(state: str) -> None:
    draft = flow.ScheduleDraft(state, tuple(UNITS[:1]), unit_id=1)
    wrong = flow.step(draft, "พรุ่งนี้")
    assert wrong.draft == draft and wrong.replies[0].text.startswith("ขออภัย")
    assert flow.step(draft, "ยกเลิก").draft is None
    assert flow.step(draft, "ช่วยเหลือ").replies[0].text == flow.HELP_TEXT
    back = flow.step(draft, "ย้อนกลับ").draft
    assert back is not None and flow.ORDER.index(back.state) == max(1, flow.ORDER.index(state) - 1)


@pytest.mark.parametrize(("state", "typed"), [("day", "๔๕"), ("followups", "21,32"), ("deadline", "0"), ("digest", "99")])
def test_a_day_no_month_has_is_refused_where_it_is_typed(state: str, typed: str) -> None:
    draft = flow.ScheduleDraft(state, tuple(UNITS[:1]), unit_id=1)
    wrong = flow.step(draft, typed)
    assert wrong.draft == draft
    assert wrong.replies[0].text.startswith("ขออภัย วันที่ต้องอยู่ระหว่าง 1 ถึง 31 กรุณาพิมพ์ใหม่ เช่น ")


def test_an_impossible_schedule_goes_back_to_the_first_question() -> None:
    draft = flow.ScheduleDraft("day", tuple(UNITS[:1]), unit_id=1)
    outcome = _walk(draft, "24", "23", "25", "26", "09:00")
    assert outcome.draft is not None and outcome.draft.state == "day"
    assert "วันติดตามซ้ำต้องอยู่หลังวันแจ้งเตือน" in outcome.replies[0].text


def test_confirm_takes_edit_and_refuses_anything_else() -> None:
    draft = flow.ScheduleDraft("confirm", tuple(UNITS[:1]), unit_id=1)
    assert flow.step(draft, "แก้ไข").draft.state == "day"  # type: ignore[union-attr]
    assert flow.step(draft, "อะไร").draft == draft


def test_a_draft_survives_its_json() -> None:
    draft = flow.ScheduleDraft("time", tuple(UNITS), unit_id=2, followup_days=(21,), current={1: {"reminder_day": 3}})
    assert flow.ScheduleDraft.from_json(draft.to_json()) == draft

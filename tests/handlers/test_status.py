"""`สถานะ` and `สรุป` as LINE shows them: Flex cards checked by the local LINE server
(sizes, bubble count, altText), in a group and one-to-one."""

from __future__ import annotations

import json
from typing import Any

from bot.localline import group_source, postback_event, rules, user_source
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, UNIT_B, ask, bind_group, load_plans, make_coordinator

GROUP = "Cstatus"
CODE = "50310000-3105"  # the training project of the sample plan


def last_messages(bot: RunningBot, chat: str) -> list[dict[str, Any]]:
    return bot.world.deliveries(to=chat)[-1].messages


def assert_accepted(bot: RunningBot) -> None:
    """Every request the bot made was accepted by the LINE-compatible server."""
    refused = [(r.path, r.status, r.body) for r in bot.world.requests() if r.status >= 400]
    assert refused == []


def test_status_of_one_project_in_a_group_is_a_card_with_buttons(bot: RunningBot) -> None:
    unit_a, _ = load_plans(bot)
    project = next(p for p in unit_a if p.code == CODE)
    bind_group(bot, GROUP, [project.id], ["Usomchai"])
    source = group_source(GROUP, "Usomchai")
    ask(bot, source, "รายงาน อบรม 40% จัดอบรมรุ่นที่หนึ่งแล้ว")
    ask(bot, source, "ยืนยัน")

    alt = ask(bot, source, "สถานะ ๕๐๓๑๐๐๐๐-๓๑๐๕")  # Thai digits
    [card] = last_messages(bot, GROUP)
    assert card["type"] == "flex" and card["contents"]["type"] == "bubble"
    assert rules.json_size(card["contents"]) <= rules.MAX_BUBBLE_BYTES and len(card["altText"]) <= 1500
    assert project.name in alt and "ความก้าวหน้า 40% · ตามแผน " in alt
    assert "รายงานล่าสุด ครั้งที่ 1 วันที่ " in alt and "จัดอบรมรุ่นที่หนึ่งแล้ว" in alt
    assert "งบประมาณที่ได้รับ" in alt or "ไม่ได้รับงบประมาณ" in alt
    body = json.dumps(card["contents"], ensure_ascii=False)
    assert "ผลงานจริง" in body and "ตามแผน" in body  # the two bars
    buttons = [c["action"] for c in card["contents"]["footer"]["contents"]]
    assert [b["label"] for b in buttons] == ["รายงาน", "ส่งออก"]
    assert buttons[0]["data"] == f"kaona=report&a=start&p={project.id}"

    # The รายงาน button starts the report conversation for this very project.
    bot.client.post([postback_event(source, buttons[0]["data"], reply_token=bot.world.issue_reply_token(source))])
    bot.settle()
    started = bot.world.texts(to=GROUP)[-1]  # this month has a report: asked to edit it or add one
    assert f"โครงการ “{project.name}” มีรายงานครั้งที่ 1 แล้ว" in started
    ask(bot, source, "ยกเลิก")
    # The ส่งออก button's text is a command this chat may use.
    assert project.name in ask(bot, source, buttons[1]["text"])
    assert_accepted(bot)


def test_status_alone_is_a_carousel_behind_first_and_a_list_past_twelve(bot: RunningBot) -> None:
    unit_a, unit_b = load_plans(bot)
    make_coordinator(bot, "Ua", UNIT_A)
    alt = ask(bot, user_source("Ua"), "สถานะ")
    [carousel] = last_messages(bot, "Ua")
    bubbles = carousel["contents"]["contents"]
    assert carousel["contents"]["type"] == "carousel" and len(bubbles) == len(unit_a) <= 12
    assert rules.json_size(carousel["contents"]) <= rules.MAX_CAROUSEL_BYTES
    assert alt.startswith(f"โครงการในแชตนี้ {len(unit_a)} โครงการ")
    tapped = {b["action"]["text"] for b in bubbles}
    assert tapped == {f"สถานะ #{p.id}" for p in unit_a}

    # Past twelve: a text list, late and behind first, and a hint to narrow.
    from tests.handlers.test_queries import UNIT, add_projects

    add_projects(bot, unit_a[0].fiscal_year, [f"โครงการเพิ่มที่ {n}" for n in range(10)])
    make_coordinator(bot, "Ua", UNIT)  # now 3 + 10 projects of this year
    listed = ask(bot, user_source("Ua"), "สถานะ")
    [message] = last_messages(bot, "Ua")
    assert message["type"] == "text" and "หรือ “สรุป” เพื่อดูภาพรวม" in listed
    assert len(message["quickReply"]["items"]) <= 13
    assert_accepted(bot)


def test_several_matches_give_buttons_and_none_gives_close_visible_ones(bot: RunningBot) -> None:
    unit_a, _ = load_plans(bot)
    make_coordinator(bot, "Ua", UNIT_A)
    ask(bot, user_source("Ua"), "สถานะ โครงการ")
    [message] = last_messages(bot, "Ua")
    assert message["type"] == "text" and len(message["quickReply"]["items"]) >= 2

    answer = ask(bot, user_source("Ua"), "สถานะ อาสาสมัครดับเพลิง")
    [message] = last_messages(bot, "Ua")
    assert answer.startswith("ไม่พบโครงการ") and "ชื่อใกล้เคียง" in answer
    offered = [i["action"]["text"] for i in message["quickReply"]["items"]]
    assert offered and all(t.removeprefix("สถานะ #").isdigit() for t in offered)
    assert {int(t.split("#")[1]) for t in offered} <= {p.id for p in unit_a}


def test_summary_card_one_to_one_and_in_a_group(bot: RunningBot) -> None:
    unit_a, unit_b = load_plans(bot)
    make_coordinator(bot, "Ua", UNIT_A)
    ask(bot, user_source("Ua"), "สรุป")
    card, lists = last_messages(bot, "Ua")
    assert card["type"] == "flex" and rules.json_size(card["contents"]) <= rules.MAX_BUBBLE_BYTES
    assert f"รายงานแล้วเดือนนี้ 0/{len(unit_a)}" in card["altText"]
    assert lists["type"] == "text" and "ยังไม่รายงานเดือนนี้:" in lists["text"]
    assert all(p.name not in card["altText"] + lists["text"] for p in unit_b)

    # สรุป <unit> narrows; an unknown unit says which units there are.
    assert "ไม่พบหน่วยงาน “กองที่ไม่มี”" in ask(bot, user_source("Ua"), "สรุป กองที่ไม่มี")
    assert f"0/{len(unit_a)}" in ask(bot, user_source("Ua"), "สรุป ตัวอย่าง")
    assert "ไม่พบหน่วยงาน" in ask(bot, user_source("Ua"), f"สรุป {UNIT_B}")  # not theirs

    bind_group(bot, GROUP, [unit_a[0].id], ["Um"])
    answer = ask(bot, group_source(GROUP, "Um"), "สรุป")
    assert "รายงานแล้วเดือนนี้ 0/1" in answer and unit_a[0].name in answer
    assert all(p.name not in answer for p in unit_a[1:])
    assert_accepted(bot)


def test_cards_stay_inside_line_limits_whatever_the_content() -> None:
    from datetime import date
    from decimal import Decimal

    from bot.status_cards import status_card, status_carousel, summary_card
    from plans.model import PlanStep
    from plans.project_status import LastReport, ProjectStatus, step_states
    from plans.standing import standing
    from plans.summary import ProjectFacts, summarise

    today = date(2027, 3, 10)
    long = "โครงการพัฒนาคุณภาพชีวิตและสิ่งแวดล้อมของชุมชนในเขตพื้นที่กรุงเทพมหานคร" * 20
    steps = [PlanStep(str(n), long, Decimal("2.5"), ()) for n in range(1, 41)]
    status = ProjectStatus(
        id=1, name=long, code="50310000-0001", fiscal_year=2570, unit=long, on=today,
        standing=standing(steps, Decimal(30), today), steps=step_states(steps, ["1", "2"], ("3", Decimal("0.5"))),
        last=LastReport(9, today, long * 5, long), budget=Decimal(100000), disbursed=Decimal(2500),
    )  # fmt: skip
    facts = [
        ProjectFacts(id=n, name=long, code=None, unit_id=n % 30, unit=f"{long}{n % 30}", budget=None,
                     planned=Decimal("44.35"))
        for n in range(500)
    ]  # fmt: skip
    summary = summarise(facts, today, 2570)
    messages = [status_card(status), status_carousel(summary.projects, today), summary_card(summary)]
    assert rules.validate_messages(messages) == []
    assert len(messages[1]["contents"]["contents"]) == 12

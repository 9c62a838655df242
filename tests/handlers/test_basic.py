"""The basic use cases, end to end: what a person sees in LINE."""

from __future__ import annotations

from bot.localline import group_source, text_event, user_source
from tests.conftest import RunningBot


def replies(bot: RunningBot, to: str) -> list[dict]:
    bot.settle()
    return [m for d in bot.world.deliveries(to=to) for m in d.messages]


def test_follow_greets_in_thai_and_offers_help(bot: RunningBot) -> None:
    bot.client.follow("U1")
    [greeting] = replies(bot, "U1")
    assert "ยินดีต้อนรับ" in greeting["text"] and "ช่วยเหลือ" in greeting["text"]
    labels = [i["action"]["label"] for i in greeting["quickReply"]["items"]]
    assert labels == ["ช่วยเหลือ"]


def test_join_greets_the_group(bot: RunningBot) -> None:
    bot.client.join("Cg1")
    [greeting] = replies(bot, "Cg1")
    assert "สวัสดีทุกท่าน" in greeting["text"]


def test_help_in_thai_and_english(bot: RunningBot) -> None:
    for word in ("ช่วยเหลือ", "help", "HELP", "  ช่วยเหลือ  "):
        bot.client.send_text(user_source("U1"), word)
    answers = replies(bot, "U1")
    assert len(answers) == 4
    assert all(a["text"].startswith("คำสั่งที่ใช้") for a in answers)
    assert all("• ช่วยเหลือ (help)" in a["text"] for a in answers)


def test_one_to_one_gets_a_polite_answer_to_anything_not_understood(bot: RunningBot) -> None:
    bot.client.send_text(user_source("U1"), "กินข้าวหรือยัง")
    [answer] = replies(bot, "U1")
    assert answer["text"].startswith("ขออภัย") and "ช่วยเหลือ" in answer["text"]


def test_a_stray_button_gets_a_clear_answer(bot: RunningBot) -> None:
    bot.client.send_postback(user_source("U1"), "action=report&step=9")
    [answer] = replies(bot, "U1")
    assert "ปุ่มนี้หมดอายุ" in answer["text"]


def test_the_bot_stays_quiet_in_groups_unless_tagged(bot: RunningBot) -> None:
    bot.client.send_text(group_source("Cg1", "U1"), "ประชุมบ่ายสองนะ")
    assert replies(bot, "Cg1") == []
    tagged = text_event(
        group_source("Cg1", "U1"),
        "@ก้าวหน้า สวัสดี",
        reply_token=bot.world.issue_reply_token(group_source("Cg1", "U1")),
    )
    tagged["message"]["mention"] = {"mentionees": [{"index": 0, "length": 9, "type": "user", "isSelf": True}]}
    bot.client.post([tagged])
    [answer] = replies(bot, "Cg1")
    assert answer["text"].startswith("ขออภัย")


def test_a_tagged_command_in_a_group_is_understood(bot: RunningBot) -> None:
    source = group_source("Cg1", "U1")
    event = text_event(source, "@ก้าวหน้า help", reply_token=bot.world.issue_reply_token(source))
    event["message"]["mention"] = {"mentionees": [{"index": 0, "length": 9, "type": "user", "isSelf": True}]}
    bot.client.post([event])
    [answer] = replies(bot, "Cg1")
    assert answer["text"].startswith("คำสั่งที่ใช้")


def test_stickers_one_to_one_get_a_hint(bot: RunningBot) -> None:
    source = user_source("U1")
    event = text_event(source, "x", reply_token=bot.world.issue_reply_token(source))
    event["message"] = {"id": "1", "type": "sticker", "packageId": "1", "stickerId": "1"}
    bot.client.post([event])
    [answer] = replies(bot, "U1")
    assert "ข้อความตัวอักษร" in answer["text"]


def test_a_one_to_one_message_looks_for_both_conversations_in_one_read(bot: RunningBot) -> None:
    """Issue 9: a report and a reminder schedule may be under way one-to-one; both
    drafts are read in one query on every message."""
    from sqlalchemy import event

    bot.client.send_text(user_source("U1"), "ช่วยเหลือ")  # the person is known from here on
    replies(bot, "U1")
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "state_entries" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(bot.services.engine, "before_cursor_execute", count)
    try:
        bot.client.send_text(user_source("U1"), "ช่วยเหลือ")
        assert len(replies(bot, "U1")) == 2
    finally:
        event.remove(bot.services.engine, "before_cursor_execute", count)
    assert len(reads) == 1 and " IN " in reads[0].upper()

"""Message building: LINE's five-message cap has one owner (fit), and a question can
open by mentioning the person it is for."""

from __future__ import annotations

from bot.render import MESSAGE_LIMIT, Choice, addressed, fit, text

FLEX = {"type": "flex", "altText": "การ์ด", "contents": {"type": "bubble"}}


def test_five_or_fewer_are_left_alone() -> None:
    messages = [text(f"ข้อความ {n}") for n in range(5)]
    assert fit(messages) == messages


def test_more_than_five_merge_plain_texts_and_keep_the_question_last() -> None:
    messages = [text("หนึ่ง"), text("สอง"), FLEX, text("สาม"), text("สี่"), text("ห้า"),
                text("คำถาม", [Choice("ยืนยัน", "ยืนยัน")])]  # fmt: skip
    out = fit(messages)
    assert len(out) == MESSAGE_LIMIT and FLEX in out
    assert out[-1]["text"].endswith("คำถาม") and out[-1]["quickReply"]["items"]
    said = "\n".join(m.get("text", "") for m in out)
    assert all(word in said for word in ("หนึ่ง", "สอง", "สาม", "สี่", "ห้า"))  # nothing dropped


def test_when_nothing_merges_the_earliest_go() -> None:
    out = fit([FLEX] * 6 + [text("คำถาม")])
    assert len(out) == MESSAGE_LIMIT and out[-1]["text"] == "คำถาม"


def test_a_question_addressed_to_someone_mentions_them_and_keeps_braces() -> None:
    message = addressed(text("ใส่ {ชื่อ} ได้", [Choice("ไม่มี", "ไม่มี")]), "U123")
    assert message["type"] == "textV2" and message["text"] == "{you} ใส่ {{ชื่อ}} ได้"
    assert message["substitution"]["you"]["mentionee"] == {"type": "user", "userId": "U123"}
    assert message["quickReply"]["items"][0]["action"]["label"] == "ไม่มี"
    assert addressed(FLEX, "U123") is FLEX

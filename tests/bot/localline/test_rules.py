"""LINE's message rules as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from bot.localline import rules


def props(details: list[rules.Detail]) -> list[str]:
    return [d["property"] for d in details]


def qr(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"type": "text", "text": "x",
            "quickReply": {"items": [{"type": "action", "action": a} for a in actions]}}


def bubble(action: dict[str, Any] | None = None, pad: int = 0) -> dict[str, Any]:
    contents: list[dict[str, Any]] = [{"type": "text", "text": "ก" * pad or "x"}]
    if action is not None:
        contents.append({"type": "button", "action": action})
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": contents}}


@pytest.mark.parametrize(("text", "units"), [
    ("", 0), ("abc", 3), ("สวัสดี", 6), ("😀", 2), ("👨‍👩‍👧", 8), ("ก😀", 3),
])
def test_utf16_len(text: str, units: int) -> None:
    assert rules.utf16_len(text) == units


@pytest.mark.parametrize(("messages", "expected"), [
    ([{"type": "text", "text": "ok"}], []),
    ([], ["messages"]),
    ([{"type": "text", "text": "x"}] * 6, ["messages"]),
    ("hello", ["messages"]),
    ([{"type": "text", "text": ""}], ["messages[0].text"]),
    ([{"type": "text"}], ["messages[0].text"]),
    ([{"type": "text", "text": "😀" * 2501}], ["messages[0].text"]),
    ([{"type": "textV2", "text": "😀" * 2500}], []),
    ([{"type": "video"}], ["messages[0].type"]),
    (["text"], ["messages[0]"]),
    ([{"type": "sticker", "packageId": "446", "stickerId": "1988"}], []),
    ([{"type": "sticker", "packageId": "446"}], ["messages[0].stickerId"]),
    ([{"type": "image", "originalContentUrl": "https://x/a.jpg",
       "previewImageUrl": "http://x/a.jpg"}], ["messages[0].previewImageUrl"]),
])
def test_validate_messages(messages: Any, expected: list[str]) -> None:
    assert props(rules.validate_messages(messages)) == expected


@pytest.mark.parametrize(("message", "expected"), [
    (qr({"type": "message", "label": "ก" * 20, "text": "a"}), []),
    (qr({"type": "message", "label": "ก" * 21, "text": "a"}),
     ["messages[0].quickReply.items[0].action.label"]),
    (qr({"type": "message", "text": "a"}), ["messages[0].quickReply.items[0].action.label"]),
    (qr({"type": "message", "label": "a", "text": "t" * 301}),
     ["messages[0].quickReply.items[0].action.text"]),
    (qr({"type": "postback", "label": "a", "data": "d" * 300, "displayText": "ก" * 300}), []),
    (qr({"type": "postback", "label": "a", "data": "d" * 301}),
     ["messages[0].quickReply.items[0].action.data"]),
    (qr({"type": "postback", "label": "a", "data": "d", "displayText": "x" * 301}),
     ["messages[0].quickReply.items[0].action.displayText"]),
    (qr({"type": "postback", "label": "a"}), ["messages[0].quickReply.items[0].action.data"]),
    (qr({"type": "datetimepicker", "label": "a", "data": "d", "mode": "date",
         "initial": "2025-10-01"}), []),
    (qr({"type": "datetimepicker", "label": "a", "data": "d", "mode": "week"}),
     ["messages[0].quickReply.items[0].action.mode"]),
    (qr({"type": "datetimepicker", "label": "a", "data": "d", "mode": "time",
         "initial": "2025-10-01"}), ["messages[0].quickReply.items[0].action.initial"]),
    (qr({"type": "uri", "label": "a", "uri": "javascript:alert(1)"}),
     ["messages[0].quickReply.items[0].action.uri"]),
    (qr({"type": "camera", "label": "ถ่ายรูป"}), []),
    (qr({"type": "richmenuswitch", "label": "a"}), ["messages[0].quickReply.items[0].action.type"]),
    (qr(*[{"type": "message", "label": "a", "text": "a"}] * 13), []),
    (qr(*[{"type": "message", "label": "a", "text": "a"}] * 14),
     ["messages[0].quickReply.items"]),
    ({"type": "text", "text": "x", "quickReply": {"items": []}}, ["messages[0].quickReply.items"]),
    ({"type": "text", "text": "x", "quickReply": {"items": [{"type": "x"}]}},
     ["messages[0].quickReply.items[0]"]),
])
def test_quick_reply_rules(message: dict[str, Any], expected: list[str]) -> None:
    assert props(rules.validate_messages([message])) == expected


@pytest.mark.parametrize(("message", "expected"), [
    ({"type": "flex", "altText": "ก" * 1500, "contents": bubble()}, []),
    ({"type": "flex", "altText": "ก" * 1501, "contents": bubble()}, ["messages[0].altText"]),
    ({"type": "flex", "altText": "", "contents": bubble()}, ["messages[0].altText"]),
    ({"type": "flex", "contents": bubble()}, ["messages[0].altText"]),
    ({"type": "flex", "altText": "a"}, ["messages[0].contents"]),
    ({"type": "flex", "altText": "a", "contents": {"type": "box"}}, ["messages[0].contents.type"]),
    ({"type": "flex", "altText": "a", "contents": bubble(pad=10_100)}, ["messages[0].contents"]),
    ({"type": "flex", "altText": "a", "contents": {"type": "carousel",
                                                   "contents": [bubble()] * 12}}, []),
    ({"type": "flex", "altText": "a", "contents": {"type": "carousel",
                                                   "contents": [bubble()] * 13}},
     ["messages[0].contents.contents"]),
    ({"type": "flex", "altText": "a", "contents": {"type": "carousel",
                                                   "contents": [bubble(pad=1500)] * 12}},
     ["messages[0].contents"]),
    ({"type": "flex", "altText": "a", "contents": {"type": "carousel",
                                                   "contents": [bubble(), {"type": "box"}]}},
     ["messages[0].contents.contents[1]"]),
    ({"type": "flex", "altText": "a",
      "contents": bubble({"type": "postback", "label": "ปุ่มที่ยาวเกินยี่สิบตัวอักษรแน่นอน",
                          "data": "d"})}, []),
    ({"type": "flex", "altText": "a",
      "contents": bubble({"type": "postback", "label": "a", "data": "d" * 301})},
     ["messages[0].contents.body.contents[1].action.data"]),
    ({"type": "flex", "altText": "a",
      "contents": bubble({"type": "uri", "label": "a", "uri": "ftp://x"})},
     ["messages[0].contents.body.contents[1].action.uri"]),
])
def test_flex_rules(message: dict[str, Any], expected: list[str]) -> None:
    assert props(rules.validate_messages([message])) == expected


def mention(user_id: str | None = None) -> dict[str, Any]:
    mentionee = {"type": "user", "userId": user_id} if user_id else {"type": "all"}
    return {"type": "mention", "mentionee": mentionee}


def test_text_v2_substitutions() -> None:
    ok = {"type": "textV2", "text": "{a} {all} {e}", "substitution": {
        "a": mention("U1"), "all": mention(),
        "e": {"type": "emoji", "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}}}
    assert rules.validate_messages([ok]) == []
    assert rules.mentioned_user_ids([ok]) == [
        ("messages[0].substitution.a.mentionee", "U1"),
        ("messages[0].substitution.all.mentionee", "all")]
    many = {"type": "textV2", "text": "x",
            "substitution": {f"u{i}": mention(f"U{i}") for i in range(21)}}
    assert props(rules.validate_messages([many])) == ["messages[0].substitution"]
    bad = {"type": "textV2", "text": "x", "substitution": {
        "bad key": mention("U1"), "m": {"type": "mention", "mentionee": {"type": "user"}},
        "z": {"type": "sticker"}}}
    assert props(rules.validate_messages([bad])) == [
        "messages[0].substitution.bad key", "messages[0].substitution.m.mentionee.userId",
        "messages[0].substitution.z.type"]


def test_request_level_rules() -> None:
    assert props(rules.validate_reply({"messages": [{"type": "text", "text": "x"}]})) == [
        "replyToken"]
    assert props(rules.validate_push({"to": "U1", "messages": [{"type": "text", "text": "x"}],
                                      "notificationDisabled": "yes"})) == [
        "notificationDisabled"]
    assert props(rules.validate_multicast({"to": ["U1"] * 501, "messages": [
        {"type": "text", "text": "x"}]})) == ["to"]
    assert props(rules.validate_multicast({"to": ["C1"], "messages": [
        {"type": "text", "text": "x"}]})) == ["to"]
    assert rules.validate_loading({"chatId": "U1"}) == []
    assert props(rules.validate_loading({"chatId": "R1", "loadingSeconds": 0})) == [
        "chatId", "loadingSeconds"]
    assert rules.error_body([{"message": "m", "property": "p"}]) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "m", "property": "p"}]}


def test_mentions_need_a_group_and_its_members() -> None:
    message = {"type": "textV2", "text": "{a}{b}", "substitution": {
        "a": mention("U1"), "b": mention()}}
    assert rules.mention_errors([message], ["U1"]) == []
    assert props(rules.mention_errors([message], ["U2"])) == [
        "messages[0].substitution.a.mentionee.userId"]
    assert props(rules.mention_errors([message], None)) == [
        "messages[0].substitution.a.mentionee", "messages[0].substitution.b.mentionee"]

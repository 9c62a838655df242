"""The chat simulator against the real bot over HTTP, and its rendering of what LINE shows."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable, Sequence
from typing import Any

from bot.events import IncomingEvent
from bot.localline import LocalLineServer
from bot.localline.simulator import NO_REPLY, ChatSimulator
from bot.localline.simulator_render import (
    RULE,
    Choice,
    choices_of,
    progress_bar,
    render_delivery,
    render_message,
)
from handlers.deps import Deps
from handlers.dispatch import dispatch
from tests.conftest import SECRET, RunningBot

HELP_TEXT = "คำสั่งที่ใช้กับ “ก้าวหน้า” ได้"


def chat(bot_url: str, line_url: str, typed: str, *, user: str = "U1000",
         name: str = "สมชาย ใจดี", group: str | None = None, secret: str = SECRET) -> str:
    out = io.StringIO()
    simulator = ChatSimulator(bot_url, line_url, secret, stdin=io.StringIO(typed), stdout=out,
                              wait=1.0, poll=0.05)
    simulator.run(user_id=user, display_name=name, group_id=group)
    return out.getvalue()


def inbox_payloads(bot: RunningBot) -> list[dict[str, Any]]:
    return [json.loads(row[0]) for row in bot.sql("SELECT payload FROM inbox_events ORDER BY id")]


# -- against the running bot ---------------------------------------------------
def test_follow_then_picking_quick_reply_1_shows_the_help(
        bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "/follow\n1\n")
    assert "สมชาย ใจดี> /follow\nก้าวหน้า [reply]\nสวัสดี ยินดีต้อนรับ" in out
    assert "  [1] ช่วยเหลือ\nสมชาย ใจดี> 1\n» ช่วยเหลือ\nก้าวหน้า [reply]\n" + HELP_TEXT in out
    assert [d.to for d in bot.world.deliveries(kind="reply")] == ["U1000", "U1000"]
    assert [p["type"] for p in inbox_payloads(bot)] == ["follow", "message"]
    assert out.endswith("จบการจำลอง (bye)\n")


def test_typing_thai_help_shows_the_help_and_the_text_arrives_untouched(
        bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "ช่วยเหลือ\n")
    assert "ก้าวหน้า [reply]\n" + HELP_TEXT in out
    assert "  [1] รายงาน" in out and "ช่วยเหลือ" in out
    [payload] = inbox_payloads(bot)
    assert payload["message"]["text"] == "ช่วยเหลือ"
    assert payload["source"] == {"type": "user", "userId": "U1000"}
    assert line.world.user("U1000").display_name == "สมชาย ใจดี"


def test_what_was_sent_before_the_chat_started_is_not_shown(
        bot: RunningBot, line: LocalLineServer) -> None:
    line.world.add_user("U1000", "สมชาย ใจดี")
    line.world.push("U1000", [{"type": "text", "text": "ข้อความเก่า"}], retry_key=None,
                    request_id="before")
    out = chat(bot.callback, line.url, "ช่วยเหลือ\n")
    assert "ข้อความเก่า" not in out
    assert HELP_TEXT in out


def test_one_to_one_chatter_gets_the_polite_not_understood(
        bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "ขอรายงานหน่อยครับ\n")
    assert "ขออภัย ก้าวหน้ายังไม่เข้าใจข้อความนี้" in out
    assert NO_REPLY not in out


def test_in_a_group_chatter_gets_the_no_reply_notice_but_a_tag_is_answered(
        bot: RunningBot, line: LocalLineServer) -> None:
    group = "C0123456789"
    out = chat(bot.callback, line.url, "พรุ่งนี้ประชุมกี่โมงครับ\n@ก้าวหน้า ว่าไง\n", group=group)
    assert f"สมชาย ใจดี @ กลุ่ม {group}> พรุ่งนี้ประชุมกี่โมงครับ\n" + NO_REPLY in out
    assert "ขออภัย ก้าวหน้ายังไม่เข้าใจข้อความนี้" in out
    first, tagged = inbox_payloads(bot)
    assert first["source"] == {"type": "group", "groupId": group, "userId": "U1000"}
    assert tagged["message"]["mention"]["mentionees"][0]["isSelf"] is True
    assert [d.to for d in bot.world.deliveries()] == [group]
    registered = line.world.group(group)
    assert (registered.name, registered.members) == (f"กลุ่ม {group}", ["U1000"])


def test_group_join_and_back_to_one_to_one(bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "/group C777\n/join\n/dm\nช่วยเหลือ\n")
    assert "สวัสดีทุกท่าน" in out
    assert "ตอนนี้อยู่ในแชตส่วนตัวกับบอต" in out
    sent = [(d.to, d.kind) for d in bot.world.deliveries()]
    assert sent == [("C777", "reply"), ("U1000", "reply")]


def test_user_switches_who_is_typing(bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "/user U2222 สมหญิง รักดี\nช่วยเหลือ\n")
    assert "สมหญิง รักดี> ช่วยเหลือ\nก้าวหน้า [reply]" in out
    [payload] = inbox_payloads(bot)
    assert payload["source"]["userId"] == "U2222"
    assert [d.to for d in bot.world.deliveries()] == ["U2222"]
    assert line.world.user("U2222").display_name == "สมหญิง รักดี"


def test_wrong_channel_secret_prints_the_webhook_status(
        bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "ช่วยเหลือ\n", secret="not-the-secret")
    assert "⚠ webhook ตอบ HTTP 400" in out
    assert bot.world.deliveries() == []


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unfollow_and_leave_reach_the_bot_and_the_local_server(
        bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "/unfollow\n/group C55\n/join\n/leave\n")
    assert "สมชาย ใจดี> /unfollow\n" + NO_REPLY in out
    assert [p["type"] for p in inbox_payloads(bot)] == ["unfollow", "join", "leave"]
    assert line.world.user("U1000").friend is False
    assert line.world.group("C55") is None


def test_a_bot_that_is_not_running_prints_how_to_start_it(line: LocalLineServer) -> None:
    out = chat(f"http://127.0.0.1:{unused_port()}/callback", line.url, "สวัสดี\n/help\n")
    assert "ติดต่อบอตไม่ได้" in out
    assert "`kaona demo`" in out and "`kaona serve`" in out
    assert "/group GROUP_ID" in out  # it kept going after the hint
    assert out.endswith("จบการจำลอง (bye)\n")


def test_no_local_line_server_is_said_once_and_the_chat_goes_on() -> None:
    port = unused_port()
    out = chat(f"http://127.0.0.1:{port}/callback", f"http://127.0.0.1:{port}", "สวัสดี\n/help\n")
    assert out.count("ติดต่อเซิร์ฟเวอร์ LINE จำลองไม่ได้ที่") == 1
    assert "สมชาย ใจดี> สวัสดี\n⚠ ยังติดต่อเซิร์ฟเวอร์ LINE จำลองไม่ได้" in out
    assert "`kaona line-server`" in out
    assert "/group GROUP_ID" in out


def test_quit_stops_reading(bot: RunningBot, line: LocalLineServer) -> None:
    out = chat(bot.callback, line.url, "/quit\nช่วยเหลือ\n")
    assert "ช่วยเหลือ" not in out
    assert bot.world.deliveries() == []


FLEX = {
    "type": "flex", "altText": "รายงานความก้าวหน้า",
    "contents": {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "โครงการถนนสะอาด"},
            {"type": "text", "contents": [{"type": "span", "text": "ความก้าวหน้า "},
                                          {"type": "span", "text": "60%"}]},
            {"type": "separator"},
            {"type": "text", "text": "เลือกสิ่งที่ต้องการ"},
        ]},
        "footer": {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "action": {"type": "postback", "label": "รายงาน",
                                          "data": "report:7", "displayText": "รายงานโครงการ"}},
            {"type": "button", "action": {"type": "datetimepicker", "label": "เลือกวัน",
                                          "data": "due:7", "mode": "date"}},
        ]},
    },
}


def echo(event: IncomingEvent, deps: Deps) -> Sequence[dict[str, Any]]:
    """Answers with FLEX for text, and says what a postback carried."""
    if event.type == "postback":
        params = " ".join(f"{k}={v}" for k, v in event.postback_params.items())
        return [{"type": "text", "text": f"ได้รับ {event.postback_data} {params}".strip()}]
    if event.type == "message":
        return [FLEX]
    return dispatch(event, deps)


def test_flex_buttons_send_postbacks_and_the_date_picker_sends_params(
        bot_factory: Callable[..., RunningBot], line: LocalLineServer) -> None:
    bot = bot_factory(dispatch=echo)
    out = chat(bot.callback, line.url, "เมนู\n1\n/say 2\n2\n2025-13\n2025-10-01\n")
    assert "ก้าวหน้า [reply]\nโครงการถนนสะอาด\nความก้าวหน้า 60%\n" + RULE in out
    assert "» รายงานโครงการ\nก้าวหน้า [reply]\nได้รับ report:7" in out
    assert "รูปแบบไม่ถูกต้อง ต้องเป็น YYYY-MM-DD" in out
    assert "ได้รับ due:7 date=2025-10-01" in out
    postbacks = [p["postback"] for p in inbox_payloads(bot) if p["type"] == "postback"]
    assert postbacks == [{"data": "report:7"}, {"data": "due:7", "params": {"date": "2025-10-01"}}]


# -- rendering (pure) --------------------------------------------------------------
def test_text_with_quick_reply() -> None:
    message = {"type": "text", "text": "สวัสดี\nพิมพ์ช่วยเหลือ", "quickReply": {"items": [
        {"type": "action",
         "action": {"type": "message", "label": "ช่วยเหลือ", "text": "ช่วยเหลือ"}},
        {"type": "action", "action": {"type": "postback", "label": "รายงาน", "data": "r"}},
    ]}}
    assert render_message(message) == [
        "สวัสดี", "พิมพ์ช่วยเหลือ", "  [1] ช่วยเหลือ", "  [2] รายงาน"]
    assert [(c.label, c.kind) for c in choices_of(message)] == [("ช่วยเหลือ", "message"),
                                                                ("รายงาน", "postback")]
    assert render_message(message, quick_reply=False) == ["สวัสดี", "พิมพ์ช่วยเหลือ"]
    assert choices_of(message, quick_reply=False) == []


def test_text_v2_mentions_become_at_names() -> None:
    text = "{u1} และ {u2} ยังไม่รายงาน {{ด่วน}} {all}"
    message = {"type": "textV2", "text": text, "substitution": {
        "u1": {"type": "mention", "mentionee": {"type": "user", "userId": "U1"}},
        "u2": {"type": "mention", "mentionee": {"type": "user", "userId": "U2"}},
        "all": {"type": "mention", "mentionee": {"type": "all"}},
    }}
    assert render_message(message, names={"U1": "สมชาย"}) == [
        "@สมชาย และ @U2 ยังไม่รายงาน {ด่วน} @all"]


def test_flex_bubble_body_separator_and_footer_buttons() -> None:
    bubble = {"type": "flex", "altText": "x", "contents": {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "โครงการ A"},
            {"type": "box", "layout": "baseline", "contents": [
                {"type": "text", "text": "แผน"}, {"type": "text", "text": "50%"}]},
            {"type": "box", "layout": "vertical", "contents": [
                {"type": "box", "layout": "vertical", "width": "60%", "contents": [
                    {"type": "filler"}]}]},
            {"type": "separator"},
            {"type": "text", "text": "ผล 60%"},
        ]},
        "footer": {"type": "box", "layout": "horizontal", "contents": [
            {"type": "button", "action": {"type": "postback", "label": "รายงาน", "data": "a"}},
            {"type": "button", "action": {"type": "postback", "label": "ดูแผน", "data": "b"}},
        ]},
    }}
    assert render_message(bubble) == [
        "โครงการ A", "แผน  50%", "[██████░░░░]", RULE, "ผล 60%", "[1] รายงาน", "[2] ดูแผน"]
    assert [c.action["data"] for c in choices_of(bubble)] == ["a", "b"]
    assert render_message(bubble, first=3)[-2:] == ["[3] รายงาน", "[4] ดูแผน"]


def test_flex_carousel_separates_bubbles_and_numbers_on() -> None:
    def bubble(title: str, data: str) -> dict[str, Any]:
        return {"type": "bubble",
                "header": {"type": "box", "layout": "vertical",
                           "contents": [{"type": "text", "text": title}]},
                "footer": {"type": "box", "layout": "vertical", "contents": [
                    {"type": "button", "action": {"type": "uri", "label": "เปิด",
                                                  "uri": f"https://example.com/{data}"}},
                    {"type": "button", "action": {"type": "message", "label": "เลือก",
                                                  "text": data}}]}}
    message = {"type": "flex", "altText": "x", "contents": {
        "type": "carousel", "contents": [bubble("หนึ่ง", "1"), bubble("สอง", "2")]}}
    assert render_message(message) == [
        "┄┄┄ 1/2 ┄┄┄", "หนึ่ง", "[1] เปิด (https://example.com/1)", "[2] เลือก",
        "┄┄┄ 2/2 ┄┄┄", "สอง", "[3] เปิด (https://example.com/2)", "[4] เลือก"]
    assert choices_of(message)[3] == Choice("เลือก", {"type": "message", "label": "เลือก",
                                                      "text": "2"})


def test_delivery_header_stickers_images_and_only_the_last_quick_reply() -> None:
    item = {"type": "action", "action": {"type": "message", "label": "ก", "text": "ก"}}
    quick = {"items": [item]}
    delivery = {"kind": "push", "messages": [
        {"type": "text", "text": "หนึ่ง", "quickReply": quick},
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {"type": "image", "originalContentUrl": "https://example.com/a.png",
         "previewImageUrl": "https://example.com/a.png", "quickReply": quick},
    ]}
    lines, choices = render_delivery(delivery)
    assert lines == ["ก้าวหน้า [push]", "หนึ่ง", "", "(สติกเกอร์)", "",
                     "(รูปภาพ https://example.com/a.png)", "  [1] ก"]
    assert [c.label for c in choices] == ["ก"]


def test_progress_bar_is_clamped() -> None:
    assert progress_bar("0%") == "[░░░░░░░░░░]"
    assert progress_bar("100%") == "[██████████]"
    assert progress_bar("150%") == "[██████████]"
    assert progress_bar("abc%") == "[░░░░░░░░░░]"

"""Use cases for the basic events: greetings, help, and what the bot did not understand."""

from __future__ import annotations

from collections.abc import Sequence

from bot.events import IncomingEvent
from bot.render import Choice, text
from handlers.deps import Deps, Message

HELP_CHOICE = Choice(label="ช่วยเหลือ", text="ช่วยเหลือ")

GREETING_USER = (
    "สวัสดี ยินดีต้อนรับสู่ “ก้าวหน้า” (Kaona) 🙏\n"
    "ผู้ช่วยติดตามแผนปฏิบัติราชการประจำปีของหน่วยงานกรุงเทพมหานคร ผ่าน LINE\n\n"
    "ก้าวหน้าช่วยให้\n"
    "• เจ้าหน้าที่รายงานความก้าวหน้าโครงการประจำเดือนได้ในแชต\n"
    "• ทุกคนถามสถานะโครงการเทียบกับแผนได้ทันที\n"
    "• ผู้ประสานงานได้รับสรุปว่าใครรายงานแล้ว ใครยังไม่รายงาน\n\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)

GREETING_GROUP = (
    "สวัสดีทุกท่าน 🙏 “ก้าวหน้า” (Kaona) พร้อมช่วยติดตามแผนปฏิบัติราชการของกลุ่มนี้แล้ว\n\n"
    "ในกลุ่ม ก้าวหน้าจะตอบเฉพาะข้อความที่เป็นคำสั่ง หรือข้อความที่แท็กถึงก้าวหน้า "
    "จึงไม่รบกวนการสนทนาตามปกติ\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)

NOT_UNDERSTOOD = (
    "ขออภัย ก้าวหน้ายังไม่เข้าใจข้อความนี้ 🙏\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)

NOT_TEXT = (
    "ขออภัย ตอนนี้ก้าวหน้าอ่านได้เฉพาะข้อความตัวอักษร\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)

STALE_BUTTON = (
    "ปุ่มนี้หมดอายุแล้ว หรือไม่ได้อยู่ในขั้นตอนที่กำลังทำอยู่\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)


def handle_follow(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    return [text(GREETING_USER, [HELP_CHOICE])]


def handle_join(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    return [text(GREETING_GROUP, [HELP_CHOICE])]


def handle_not_understood(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """One-to-one, always answer. In a group, stay quiet unless the bot was tagged:
    the bot receives every message in the group, and most are not meant for it."""
    if event.in_group and not event.mentions_bot:
        return []
    if event.type == "postback":
        return [text(STALE_BUTTON, [HELP_CHOICE])]
    if event.type == "message" and event.message_type != "text":
        return [text(NOT_TEXT, [HELP_CHOICE])]
    return [text(NOT_UNDERSTOOD, [HELP_CHOICE])]


def handle_nothing(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """Events that need no answer yet (unfollow, leave, member changes)."""
    return []

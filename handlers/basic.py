"""Use cases for what the bot did not understand, and shared bits of wording."""

from __future__ import annotations

from collections.abc import Sequence

from bot.events import IncomingEvent
from bot.render import text
from handlers.deps import Deps, Message
from handlers.membership import HELP_CHOICE

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


def handle_not_understood(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """One-to-one, always answer. In a group, stay quiet unless the bot was tagged:
    the bot receives every message in the group, and most are not meant for it."""
    if event.type == "postback":
        return [text(STALE_BUTTON, [HELP_CHOICE])]
    if event.in_group and not event.mentions_bot:
        return []
    if event.type == "message" and event.message_type != "text":
        return [text(NOT_TEXT, [HELP_CHOICE])]
    return [text(NOT_UNDERSTOOD, [HELP_CHOICE])]

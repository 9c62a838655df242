"""Explicit dispatch: an ordered list of (matches, handler); the first match wins,
and anything unmatched goes to an explicit default."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.events import IncomingEvent
from bot.render import Choice, text
from handlers.basic import (
    handle_follow,
    handle_join,
    handle_not_understood,
    handle_nothing,
)
from handlers.deps import Deps, Handler, Message

Matcher = Callable[[IncomingEvent], bool]


@dataclass(frozen=True)
class Command:
    """A typed command: Thai words first, English aliases after; a line of help."""

    words: tuple[str, ...]
    usage: str
    help_th: str

    def matches(self, event: IncomingEvent) -> bool:
        if event.type != "message" or event.command_text is None:
            return False
        head = event.command_text.split(" ", 1)[0].casefold()
        return head in {w.casefold() for w in self.words}


HELP = Command(("ช่วยเหลือ", "help", "วิธีใช้", "เมนู", "?"), "ช่วยเหลือ", "ดูคำสั่งทั้งหมด")

COMMANDS: tuple[Command, ...] = (HELP,)


def handle_help(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    lines = ["คำสั่งที่ใช้กับ “ก้าวหน้า” ได้ (พิมพ์ภาษาไทยหรืออังกฤษก็ได้)"]
    for command in COMMANDS:
        english = next((w for w in command.words if w.isascii() and w.isalpha()), None)
        alias = f" ({english})" if english else ""
        lines.append(f"• {command.usage}{alias} – {command.help_th}")
    if event.in_group:
        lines.append("\nในกลุ่ม ก้าวหน้าจะตอบเฉพาะคำสั่ง หรือข้อความที่แท็กถึงก้าวหน้า")
    choices = [Choice(label=c.usage.split(" ")[0], text=c.usage.split(" ")[0]) for c in COMMANDS]
    return [text("\n".join(lines), choices)]


def is_event(*types: str) -> Matcher:
    return lambda event: event.type in types


ROUTES: tuple[tuple[Matcher, Handler], ...] = (
    (is_event("follow"), handle_follow),
    (is_event("join"), handle_join),
    (is_event("unfollow", "leave", "memberJoined", "memberLeft"), handle_nothing),
    (HELP.matches, handle_help),
)
DEFAULT: Handler = handle_not_understood


def route(event: IncomingEvent) -> Handler:
    for matches, handler in ROUTES:
        if matches(event):
            return handler
    return DEFAULT

"""Explicit dispatch: an ordered list of (matches, handler); the first match wins,
and anything unmatched goes to an explicit default."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.events import IncomingEvent
from bot.render import Choice, text
from handlers import binding, membership, queries
from handlers.basic import handle_not_understood, handle_nothing
from handlers.commands import BIND, HELP, INVITE, PROJECTS, REGISTER, STATUS, SUMMARY, Command
from handlers.deps import Deps, Handler, Message

Matcher = Callable[[IncomingEvent], bool]

# In the order help lists them.
COMMANDS: tuple[Command, ...] = (PROJECTS, STATUS, SUMMARY, BIND, INVITE, REGISTER, HELP)


def handle_help(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    place = "group" if event.in_group else "user"
    lines = ["คำสั่งที่ใช้กับ “ก้าวหน้า” ได้ (พิมพ์ภาษาไทยหรืออังกฤษก็ได้)"]
    shown = [c for c in COMMANDS if c.where in ("any", place)]
    for command in shown:
        alias = f" ({command.english})" if command.english else ""
        lines.append(f"• {command.usage}{alias} – {command.help_th}")
    if event.in_group:
        lines.append("\nในกลุ่ม ก้าวหน้าจะตอบเฉพาะคำสั่ง หรือข้อความที่แท็กถึงก้าวหน้า")
    choices = [Choice(label=c.words[0], text=c.words[0]) for c in shown if "<" not in c.usage]
    return [text("\n".join(lines), choices)]


def is_event(*types: str) -> Matcher:
    return lambda event: event.type in types


ROUTES: tuple[tuple[Matcher, Handler], ...] = (
    (is_event("follow"), membership.handle_follow),
    (is_event("unfollow"), membership.handle_unfollow),
    (is_event("join"), membership.handle_join),
    (is_event("leave"), membership.handle_leave),
    (is_event("memberJoined"), membership.handle_member_joined),
    (is_event("memberLeft"), membership.handle_member_left),
    (HELP.matches, handle_help),
    (PROJECTS.matches, queries.handle_projects),
    (STATUS.matches, queries.handle_status),
    (SUMMARY.matches, queries.handle_summary),
    (BIND.matches, binding.handle_bind),
    (INVITE.matches, binding.handle_invite),
    (REGISTER.matches, binding.handle_register),
)
DEFAULT: Handler = handle_not_understood


def route(event: IncomingEvent) -> Handler:
    for matches, handler in ROUTES:
        if matches(event):
            return handler
    return DEFAULT


__all__ = ["COMMANDS", "DEFAULT", "ROUTES", "handle_nothing", "route"]

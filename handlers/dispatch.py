"""Explicit dispatch: an ordered list of (matches, handler); the first match wins,
and anything unmatched goes to an explicit default."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.events import IncomingEvent
from bot.render import Choice, text
from handlers import binding, membership, queries, report
from handlers.basic import handle_not_understood, handle_nothing
from handlers.commands import (
    BIND,
    EDIT_REPORT,
    HELP,
    INVITE,
    PROJECTS,
    REGISTER,
    REPORT,
    STATUS,
    SUMMARY,
    Command,
)
from handlers.deps import Deps, Handler, Message

Matcher = Callable[[IncomingEvent], bool]

# In the order help lists them.
COMMANDS: tuple[Command, ...] = (REPORT, EDIT_REPORT, STATUS, PROJECTS, SUMMARY, BIND, INVITE, REGISTER, HELP)


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


def handle_conversation(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """Someone in the middle of a report: everything they send goes to it."""
    draft = report.active_draft(event, deps)
    assert draft is not None
    return report.handle_conversation(event, deps, draft)


def in_conversation(event: IncomingEvent, deps: Deps) -> bool:
    return event.type in ("message", "postback") and report.active_draft(event, deps) is not None


# Checked first, with the state store: a conversation under way takes every message.
CONVERSATIONS: tuple[tuple[Callable[[IncomingEvent, Deps], bool], Handler], ...] = (
    (in_conversation, handle_conversation),
)

ROUTES: tuple[tuple[Matcher, Handler], ...] = (
    (is_event("follow"), membership.handle_follow),
    (is_event("unfollow"), membership.handle_unfollow),
    (is_event("join"), membership.handle_join),
    (is_event("leave"), membership.handle_leave),
    (is_event("memberJoined"), membership.handle_member_joined),
    (is_event("memberLeft"), membership.handle_member_left),
    (HELP.matches, handle_help),
    (REPORT.matches, report.handle_report),
    (report.is_report_button, report.handle_report_button),
    (EDIT_REPORT.matches, report.handle_edit),
    (PROJECTS.matches, queries.handle_projects),
    (STATUS.matches, queries.handle_status),
    (SUMMARY.matches, queries.handle_summary),
    (BIND.matches, binding.handle_bind),
    (INVITE.matches, binding.handle_invite),
    (REGISTER.matches, binding.handle_register),
)
DEFAULT: Handler = handle_not_understood


def route(event: IncomingEvent) -> Handler:
    """The use case for an event (the worker's entry point)."""
    return dispatch


def dispatch(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """A conversation under way first, then the routes in order, then the default."""
    for active, handler in CONVERSATIONS:
        if active(event, deps):
            return handler(event, deps)
    for matches, handler in ROUTES:
        if matches(event):
            return handler(event, deps)
    return DEFAULT(event, deps)


__all__ = ["COMMANDS", "DEFAULT", "ROUTES", "handle_nothing", "route"]

"""Explicit dispatch: an ordered list of (matches, handler); the first match wins,
and anything unmatched goes to an explicit default."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from bot.events import IncomingEvent
from bot.render import Choice, fit, text
from flows.report import FREE_TEXT
from handlers import binding, export, history, membership, plan_upload, queries, reminders, report
from handlers.basic import handle_not_understood
from handlers.commands import (
    ATTACH,
    BIND,
    CANCEL,
    DELETE_REPORT,
    EDIT_REPORT,
    EXPORT,
    HELP,
    HISTORY,
    INVITE,
    NOTIFY,
    PROJECTS,
    REGISTER,
    REPORT,
    SCHEDULE,
    STATUS,
    SUMMARY,
    Command,
)
from handlers.deps import Deps, Handler, Message
from storage import access

Matcher = Callable[[IncomingEvent], bool]
STILL_REPORTING = "การรายงานที่ทำค้างไว้ยังรออยู่ ตอบต่อได้เลย หรือพิมพ์ “ยกเลิก” เพื่อยกเลิกการรายงาน"

# In the order help lists them.
COMMANDS: tuple[Command, ...] = (
    REPORT, EDIT_REPORT, ATTACH, STATUS, PROJECTS, SUMMARY, HISTORY, EXPORT, BIND, INVITE, DELETE_REPORT,
    REGISTER, SCHEDULE, NOTIFY, HELP,
)  # fmt: skip


def handle_help(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if deps.writer is not None:
        coordinator = deps.writer.coordinator
    else:
        coordinator = bool(event.user_id and access.is_coordinator(deps.session, event.user_id))
    body, choices = _help("group" if event.in_group else "user", coordinator)
    return [text(body, choices)]


@functools.cache
def _help(place: str, coordinator: bool) -> tuple[str, tuple[Choice, ...]]:
    """The help text and its quick replies, for a place and a kind of person (four in
    all, built once each)."""
    lines = ["คำสั่งที่ใช้กับ “ก้าวหน้า” ได้ (พิมพ์ภาษาไทยหรืออังกฤษก็ได้)"]
    shown = [c for c in COMMANDS if c.where in ("any", place) and (coordinator or not c.coordinators_only)]
    for command in shown:
        alias = f" ({command.english})" if command.english else ""
        lines.append(f"• {command.usage}{alias} – {command.help_th}")
    if place == "group":
        lines.append("\nในกลุ่ม ก้าวหน้าจะตอบเฉพาะคำสั่ง หรือข้อความที่แท็กถึงก้าวหน้า")
    return "\n".join(lines), tuple(Choice(label=c.words[0], text=c.words[0]) for c in shown if "<" not in c.usage)


INTERRUPTING: tuple[tuple[Command, Handler], ...] = (
    (REPORT, report.handle_report),
    (EDIT_REPORT, report.handle_edit),
    (STATUS, queries.handle_status),
    (PROJECTS, queries.handle_projects),
    (SUMMARY, queries.handle_summary),
    (EXPORT, export.handle_export),
    (HISTORY, history.handle_history),
    (BIND, binding.handle_bind),
    (INVITE, binding.handle_invite),
    (REGISTER, binding.handle_register),
)


def is_event(*types: str) -> Matcher:
    return lambda event: event.type in types


def conversation(event: IncomingEvent, deps: Deps) -> Handler | None:
    """The handler for someone in the middle of a report, if they are. Everything they
    send goes to the report, except a command typed where no free text is expected:
    that command runs, and the report waits (or, for รายงาน, starts again). Where free
    text is expected, a typed command is asked about: the answer, or the command?"""
    if event.type not in ("message", "postback") or plan_upload.is_plan_button(event):
        return None
    draft = report.active_draft(event, deps)
    if draft is None:
        return None
    word = None
    if draft.state not in FREE_TEXT:
        handler = interrupting(event)
        if handler is not None:
            return handler
    elif any(c.matches(event) for c in ASKED_ABOUT):
        word = (event.command_text or "").split(" ", 1)[0]
    return lambda event, deps: report.handle_conversation(event, deps, draft, command=word, run_command=run_typed)


def interrupting(event: IncomingEvent) -> Handler | None:
    for command, handler in INTERRUPTING:
        if command.matches(event):
            return handler if command in (REPORT, EDIT_REPORT) else _meanwhile(handler)
    return None


def run_typed(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """A command typed as a free-text answer, which the person then chose to run."""
    if HELP.matches(event):
        return _meanwhile(handle_help)(event, deps)
    handler = interrupting(event)
    return handler(event, deps) if handler is not None else [text(STILL_REPORTING)]


def _meanwhile(handler: Handler) -> Handler:
    def run(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
        return fit([*handler(event, deps), text(STILL_REPORTING)])

    return run


ROUTES: tuple[tuple[Matcher, Handler], ...] = (
    (is_event("follow"), membership.handle_follow),
    (is_event("unfollow"), membership.handle_unfollow),
    (is_event("join"), membership.handle_join),
    (is_event("leave"), membership.handle_leave),
    (is_event("memberJoined"), membership.handle_member_joined),
    (is_event("memberLeft"), membership.handle_member_left),
    (plan_upload.is_plan_button, plan_upload.handle_plan_button),
    (plan_upload.is_plan_file, plan_upload.handle_plan_file),
    (HELP.matches, handle_help),
    (REPORT.matches, report.handle_report),
    (report.is_report_button, report.handle_report_button),
    (EDIT_REPORT.matches, report.handle_edit),
    (ATTACH.matches, report.handle_attach),
    (CANCEL.matches, report.handle_cancel),
    (HISTORY.matches, history.handle_history),
    (DELETE_REPORT.matches, history.handle_delete),
    (PROJECTS.matches, queries.handle_projects),
    (STATUS.matches, queries.handle_status),
    (SUMMARY.matches, queries.handle_summary),
    (EXPORT.matches, export.handle_export),
    (BIND.matches, binding.handle_bind),
    (INVITE.matches, binding.handle_invite),
    (REGISTER.matches, binding.handle_register),
    (SCHEDULE.matches, reminders.handle_schedule),
    (NOTIFY.matches, reminders.handle_notify),
)
DEFAULT: Handler = handle_not_understood
# Typed where free text is expected, these are asked about (ยกเลิก and ช่วยเหลือ alone are the
# report's own words and act at once).
ASKED_ABOUT: tuple[Command, ...] = (*(command for command, _ in INTERRUPTING), CANCEL, HELP)


def draft_keys(event: IncomingEvent) -> list[str]:
    """The conversation state ``dispatch`` reads for the event (a unit of work reads
    its events' in one query before running them)."""
    return [key for key in (report.draft_key(event), reminders.draft_key(event)) if key is not None]


def dispatch(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """The use case for an event (the worker's entry point): a conversation under way
    first, then the routes in order, then the default."""
    drafts = draft_keys(event)
    if len(drafts) > 1:  # both conversations are looked for: one query, not two
        deps.state.prefetch(drafts)
    in_conversation = conversation(event, deps)
    schedule_draft = None if in_conversation is not None else reminders.active_draft(event, deps)
    interrupting = any(command.matches(event) for command, _ in INTERRUPTING) or SCHEDULE.matches(event)
    if schedule_draft is not None and not interrupting:
        return reminders.handle_schedule_conversation(event, deps, schedule_draft)
    if in_conversation is not None:
        return in_conversation(event, deps)
    for matches, handler in ROUTES:
        if matches(event):
            return handler(event, deps)
    return DEFAULT(event, deps)


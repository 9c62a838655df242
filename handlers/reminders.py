"""Use cases of the reminder clock in chat: the free reminder line in replies, the
new-report opt-in (`แจ้งรายงานใหม่ เปิด/ปิด`), and `ตั้งเวลาแจ้งเตือน` (flows/schedule.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from bot.events import IncomingEvent
from bot.reminder_cards import free_line
from bot.render import text
from flows import schedule as flow
from handlers.commands import NOTIFY
from handlers.deps import Deps, Message
from plans.reminders import plan_group
from plans.schedule import WorkingDays
from storage import access
from storage import reminders as repo

log = logging.getLogger(__name__)
KEEP_DRAFT = 3600

NOTIFY_ON = "เปิดรับแจ้งรายงานใหม่แล้ว ก้าวหน้าจะส่งรายการรายงานที่บันทึกในแต่ละวันให้ท่านวันละครั้ง เวลา {at} น."
NOTIFY_OFF = "ปิดรับแจ้งรายงานใหม่แล้ว พิมพ์ “แจ้งรายงานใหม่ เปิด” เพื่อเปิดอีกครั้ง"
NOTIFY_ASK = "ตอนนี้{state}รับแจ้งรายงานใหม่ พิมพ์ “แจ้งรายงานใหม่ เปิด” หรือ “แจ้งรายงานใหม่ ปิด”"
ONLY_COORDINATORS = "การรับแจ้งรายงานใหม่ใช้ได้เฉพาะผู้ประสานงานของหน่วยงาน ในแชตส่วนตัวกับก้าวหน้า"


def with_reminder_line(deps: Deps, chat_id: str, messages: Sequence[Message]) -> list[Message]:
    """A reply the bot sends in a group anyway carries the group's due reminder for free;
    the ledger then has the occasion, so the scheduled push for the group is skipped."""
    out = list(messages)
    if not out or len(out) >= 5:
        return out
    try:
        with deps.session.begin_nested():
            line = _claim_free_reminder(deps, chat_id)
    except Exception:  # noqa: BLE001 - a free extra must never cost the reply itself
        log.exception("free reminder line for %s failed", chat_id)
        return out
    if not line:
        return out
    # Before the last message: LINE shows only the last message's quick-reply buttons.
    return [*out[:-1], text(line), out[-1]]


def _claim_free_reminder(deps: Deps, chat_id: str) -> str | None:
    groups, projects = repo.group_facts(deps.session, group_ids=[chat_id])
    if not groups or not groups[0].active:
        return None
    settings = deps.settings
    schedules = repo.project_schedules(deps.session, [(p.id, p.unit_id) for p in projects.values()], settings.schedule)
    # Today's occasion counts from the start of the day: a reply in the morning saves the 09:00 push.
    end_of_day = datetime.combine(deps.today, time(23, 59, 59), tzinfo=settings.tz)
    plan = plan_group(groups[0], schedules, now=min(end_of_day, deps.now + timedelta(days=1)), tz=settings.tz,
                      days=WorkingDays(repo.extra_holidays(deps.session)),
                      grace=timedelta(hours=settings.reminder_grace_hours), friends=frozenset(),
                      default=settings.schedule)  # fmt: skip
    send = next((s for s in plan.sends if s.scope == "group"), None)
    if send is None:
        return None
    won = {key[3] for key in send.ledger
           if repo.claim(deps.session, key, kind=send.kind, status="replied",
                         project_ids=[i.project.id for i in send.items]) is not None}  # fmt: skip
    items = [i for i in send.items if i.occasion.key in won]
    return free_line(items, send.month) if items else None


def handle_notify(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """แจ้งรายงานใหม่ เปิด|ปิด: at most one push a day with the reports saved that day."""
    if event.in_group or not event.user_id or not access.coordinated_units(deps.session, event.user_id):
        return [text(ONLY_COORDINATORS)]
    word = NOTIFY.argument(event).casefold()
    if word in ("เปิด", "on"):
        repo.set_new_reports(deps.session, event.user_id, True)
        return [text(NOTIFY_ON.format(at=f"{deps.settings.new_reports_time:%H:%M}"))]
    if word in ("ปิด", "off"):
        repo.set_new_reports(deps.session, event.user_id, False)
        return [text(NOTIFY_OFF)]
    state = "เปิด" if repo.wants_new_reports(deps.session, event.user_id) else "ปิด"
    return [text(NOTIFY_ASK.format(state=state))]


# ตั้งเวลาแจ้งเตือน -------------------------------------------------------------------


def conversation_key(event: IncomingEvent) -> str:
    return f"schedule:{event.chat_id}:{event.user_id}"


def draft_key(event: IncomingEvent) -> str | None:
    """The key ``active_draft`` reads for this event, if it reads one."""
    if event.type != "message" or event.in_group or not event.user_id:
        return None
    return conversation_key(event)


def active_draft(event: IncomingEvent, deps: Deps) -> flow.ScheduleDraft | None:
    key = draft_key(event)
    if key is None:
        return None
    raw = deps.state.get(key)
    if not raw:
        return None
    try:
        return flow.ScheduleDraft.from_json(raw)
    except (TypeError, KeyError, ValueError):
        deps.state.delete(key)
        return None


def handle_schedule(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if event.in_group or not event.user_id:
        return [text(flow.ONLY_COORDINATORS)]
    units = access.coordinated_units(deps.session, event.user_id)
    schedules = repo.unit_schedules(deps.session, deps.settings.schedule)
    current = {u.id: schedules.get(u.id, deps.settings.schedule) for u in units}
    outcome = flow.start([(u.id, u.path) for u in units], current)
    return _run(event, deps, outcome)


def handle_schedule_conversation(event: IncomingEvent, deps: Deps, draft: flow.ScheduleDraft) -> Sequence[Message]:
    return _run(event, deps, flow.step(draft, event.text or ""))


def _run(event: IncomingEvent, deps: Deps, outcome: flow.Outcome) -> list[Message]:
    if outcome.effect is not None:
        repo.set_schedule(deps.session, unit_id=outcome.effect.unit_id, schedule=outcome.effect.schedule,
                          by=f"line:{event.user_id}")  # fmt: skip
    if outcome.draft is None:
        deps.state.delete(conversation_key(event))
    else:
        deps.state.set(conversation_key(event), outcome.draft.to_json(), ttl=KEEP_DRAFT)
    return [text(r.text, r.buttons) for r in outcome.replies][-5:]

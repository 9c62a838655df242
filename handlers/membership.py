"""Use cases for the events that change who is where: follow/unfollow, join/leave,
members joining and leaving. Every event also keeps group membership current."""

from __future__ import annotations

from collections.abc import Sequence

from bot.events import IncomingEvent
from bot.render import Choice, text
from handlers.deps import Deps, Message
from storage import access
from storage import reminders as reminder_store

HELP_CHOICE = Choice(label="ช่วยเหลือ", text="ช่วยเหลือ")

GREETING_USER = (
    "สวัสดี ยินดีต้อนรับสู่ “ก้าวหน้า” (Kaona) 🙏\n"
    "ผู้ช่วยติดตามแผนปฏิบัติราชการประจำปีของหน่วยงานกรุงเทพมหานคร ผ่าน LINE\n\n"
    "ก้าวหน้าช่วยให้\n"
    "• เจ้าหน้าที่รายงานความก้าวหน้าโครงการประจำเดือนได้ในแชต\n"
    "• ทุกคนถามสถานะโครงการเทียบกับแผนได้ทันที\n"
    "• ผู้ประสานงานพิมพ์ “สรุป” เพื่อดูว่าใครรายงานแล้ว ใครยังไม่รายงาน\n\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)
COORDINATOR_NOTE = (
    "\n\n{welcome}ท่านเป็นผู้ประสานงานของ {units} {digest}"
    "พิมพ์ “สรุป” เพื่อดูความก้าวหน้าของทุกโครงการในหน่วยงานได้ทุกเมื่อ"
)
# What the clock really sends (the reminders issue): the day comes from the unit's schedule.
DIGEST_PROMISE = "ทุกเดือนท่านจะได้รับสรุปความก้าวหน้าของหน่วยงานทางแชตนี้ (วันที่ {day} หรือวันทำการถัดไป) "
WELCOME_BACK = "ยินดีต้อนรับกลับ "
# Only someone who unfollowed comes back; a coordinator registered from the command line
# follows for the first time although the bot already knows them.
LEFT_KEY = "unfollowed:{user}"
LEFT_KEPT = 400 * 24 * 3600
GREETING_GROUP = (
    "สวัสดีทุกท่าน 🙏 “ก้าวหน้า” (Kaona) เข้ากลุ่มแล้ว พร้อมช่วยติดตามแผนปฏิบัติราชการ\n\n"
    "ขั้นแรก ผูกกลุ่มนี้กับโครงการที่กลุ่มรับผิดชอบ:\n"
    "1. ขอรหัสผูกกลุ่มจากผู้ประสานงานของหน่วยงาน\n"
    "2. พิมพ์ในกลุ่มนี้ว่า  ผูกโครงการ <รหัส>  เช่น  ผูกโครงการ 482913\n\n"
    "ในกลุ่ม ก้าวหน้าจะตอบเฉพาะคำสั่ง หรือข้อความที่แท็กถึงก้าวหน้า จึงไม่รบกวนการสนทนาตามปกติ\n"
    "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งที่ใช้ได้"
)
WELCOME_MEMBER = "ยินดีต้อนรับสมาชิกใหม่ 🙏 กลุ่มนี้รายงานความก้าวหน้าโครงการผ่าน “ก้าวหน้า” พิมพ์ “ช่วยเหลือ” เพื่อดูวิธีใช้"


def observe(event: IncomingEvent, deps: Deps) -> access.Seen | None:
    """Whoever writes in a group is a member of it (LINE sends no member list to
    unverified accounts); whoever writes one-to-one is a person we know. What is known
    of the writer is returned, for the caller's look at it without another query."""
    if not event.user_id or event.type not in ("message", "postback"):
        return None
    known = deps.writer
    if event.in_group:
        if known is not None and event.chat_id in known.groups:
            return access.Seen(known.name_refreshed_at)
        return access.see_member(deps.session, event.chat_id, event.user_id)
    if known is not None and known.is_friend:
        return access.Seen(known.name_refreshed_at)
    return access.see_friend(deps.session, event.user_id)


def handle_follow(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if not event.user_id:
        return []
    access.touch_person(deps.session, event.user_id, friend=True)
    greeting = GREETING_USER
    returning = deps.state.get(LEFT_KEY.format(user=event.user_id)) is not None
    deps.state.delete(LEFT_KEY.format(user=event.user_id))
    units = access.coordinated_units(deps.session, event.user_id)
    if units:
        welcome = WELCOME_BACK if returning else ""
        greeting += COORDINATOR_NOTE.format(welcome=welcome, units=", ".join(u.path for u in units),
                                            digest=digest_promise(deps, units[0].id))  # fmt: skip
    return [text(greeting, [HELP_CHOICE])]


def digest_promise(deps: Deps, unit_id: int) -> str:
    """The digest the coordinator of ``unit_id`` will get, on that unit's schedule."""
    schedule = reminder_store.unit_schedules(deps.session, deps.settings.schedule).get(unit_id, deps.settings.schedule)
    return DIGEST_PROMISE.format(day=schedule.digest_day)


def handle_unfollow(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if event.user_id:
        access.touch_person(deps.session, event.user_id, friend=False)
        deps.state.set(LEFT_KEY.format(user=event.user_id), "1", ttl=LEFT_KEPT)
    return []


def handle_join(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    access.ensure_group(deps.session, event.chat_id, rejoined=True)
    return [text(GREETING_GROUP, [HELP_CHOICE])]


def handle_leave(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    access.leave_group(deps.session, event.chat_id)
    return []


def handle_member_joined(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    access.add_members(deps.session, event.chat_id, event.member_ids)
    if access.bound_projects(deps.session, event.chat_id):
        return [text(WELCOME_MEMBER)]
    return []


def handle_member_left(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    access.remove_members(deps.session, event.chat_id, event.member_ids)
    return []

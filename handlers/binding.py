"""Use cases for binding groups to projects and registering coordinators with
one-time codes, and for coordinators asking for a binding code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.events import IncomingEvent
from bot.matching import Candidate, matches
from bot.render import Choice, text
from handlers.commands import BIND, INVITE, REGISTER, normalise_code
from handlers.deps import Deps, Message, viewer_of
from storage import access
from storage.plan_models import Project, Unit

MAX_WRONG_TRIES = 5
LOCK_SECONDS = 3600
INVITE_TTL = timedelta(days=7)

GROUP_ONLY = "คำสั่ง “ผูกโครงการ” ใช้ในกลุ่ม LINE ที่ต้องการรายงานโครงการ กรุณาเพิ่มก้าวหน้าเข้ากลุ่มแล้วพิมพ์คำสั่งในกลุ่มนั้น"
ONE_TO_ONE_ONLY = "คำสั่งนี้ใช้ในแชตส่วนตัวกับก้าวหน้าเท่านั้น เพื่อไม่ให้รหัสปรากฏในกลุ่ม"
NO_CODE = "กรุณาพิมพ์รหัสต่อท้ายคำสั่ง เช่น  {usage}"
WRONG_CODE = "รหัส {code} ไม่ถูกต้อง กรุณาตรวจสอบรหัสจากผู้ประสานงานแล้วลองใหม่ (ลองได้อีก {left} ครั้งในชั่วโมงนี้)"
USED_CODE = "รหัสนี้ถูกใช้ไปแล้ว รหัสแต่ละชุดใช้ได้ครั้งเดียว กรุณาขอรหัสใหม่จากผู้ประสานงาน"
EXPIRED_CODE = "รหัสนี้หมดอายุแล้ว กรุณาขอรหัสใหม่จากผู้ประสานงาน"
LOCKED = "พิมพ์รหัสผิดหลายครั้งเกินไป เพื่อความปลอดภัยกรุณารอประมาณ 1 ชั่วโมงแล้วลองใหม่"
BOUND = "ผูกกลุ่มนี้กับโครงการเรียบร้อยแล้ว ✅\n{projects}\n\nพิมพ์ “รายงาน” เพื่อรายงานความก้าวหน้า หรือ “สถานะ” เพื่อดูความก้าวหน้าเทียบกับแผน"
NOTHING_TO_BIND = "รหัสนี้ถูกต้อง แต่ยังไม่มีโครงการของหน่วยงานนี้ในระบบ กรุณาแจ้งผู้ประสานงานให้นำเข้าแผนก่อน"
REGISTERED = "ลงทะเบียนเป็นผู้ประสานงานของ {unit} เรียบร้อยแล้ว ✅\nท่านจะได้รับสรุปความก้าวหน้าของทุกโครงการในหน่วยงาน พิมพ์ “สรุป” เพื่อดูได้ทันที หรือ “เชิญ <ชื่อโครงการ>” เพื่อขอรหัสผูกกลุ่ม"
ALREADY_REGISTERED = "ท่านเป็นผู้ประสานงานของ {unit} อยู่แล้ว"
COORDINATORS_ONLY = "คำสั่ง “เชิญ” สำหรับผู้ประสานงานของหน่วยงาน หากท่านเป็นผู้ประสานงาน กรุณาลงทะเบียนด้วยรหัสจากผู้ดูแลระบบก่อน"
INVITE_HOW = "พิมพ์  เชิญ <ชื่อหรือรหัสโครงการ>  เพื่อขอรหัสผูกกลุ่มของโครงการนั้น หรือ  เชิญ ทั้งหมด  สำหรับทุกโครงการของหน่วยงาน"
NOT_FOUND = "ไม่พบโครงการ “{query}” ในโครงการที่ท่านดูแล กรุณาพิมพ์ชื่อหรือรหัสโครงการอีกครั้ง"
WHICH = "พบหลายโครงการที่ตรงกับ “{query}” กรุณาเลือกโครงการ"
INVITED = (
    "รหัสผูกกลุ่ม: {code}\n"
    "สำหรับ: {what}\n"
    "ใช้ได้ครั้งเดียว ภายใน {days} วัน\n\n"
    "ให้เพิ่ม “ก้าวหน้า” เข้ากลุ่มงาน แล้วพิมพ์ในกลุ่มว่า\nผูกโครงการ {code}"
)
ALL_WORDS = ("ทั้งหมด", "all", "ทุกโครงการ")


def handle_bind(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if not event.in_group:
        return [text(GROUP_ONLY)]
    code = normalise_code(BIND.argument(event))
    if not code:
        return [text(NO_CODE.format(usage="ผูกโครงการ 482913"))]
    invite, problem = _redeem(deps, code, "bind", event.chat_id)
    if invite is None:
        return [text(problem)]
    project_ids = access.code_projects(deps.session, invite)
    if not project_ids:
        return [text(NOTHING_TO_BIND)]
    access.bind(deps.session, event.chat_id, project_ids, by=event.user_id or "unknown")
    bound = access.bound_projects(deps.session, event.chat_id)
    return [text(BOUND.format(projects=_numbered(bound)))]


def handle_register(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if event.in_group or not event.user_id:
        return [text(ONE_TO_ONE_ONLY)]
    code = normalise_code(REGISTER.argument(event))
    if not code:
        return [text(NO_CODE.format(usage="ลงทะเบียน 482913"))]
    invite, problem = _redeem(deps, code, "coordinator", event.user_id)
    if invite is None or invite.unit_id is None:
        return [text(problem)]
    unit = deps.session.get(Unit, invite.unit_id)
    assert unit is not None
    if not access.add_coordinator(deps.session, event.user_id, unit.id):
        return [text(ALREADY_REGISTERED.format(unit=unit.path))]
    return [text(REGISTERED.format(unit=unit.path))]


def handle_invite(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if event.in_group or not event.user_id:
        return [text(ONE_TO_ONE_ONLY)]
    units = access.coordinated_units(deps.session, event.user_id)
    if not units:
        return [text(COORDINATORS_ONLY)]
    query = INVITE.argument(event)
    if not query:
        return [text(INVITE_HOW)]
    created_by = f"line:{event.user_id}"
    if query.casefold() in ALL_WORDS:
        unit = units[0]
        code = access.create_code(deps.session, "bind", created_by=created_by, ttl=INVITE_TTL, unit_id=unit.id)
        return [text(INVITED.format(code=code, what=f"ทุกโครงการของ{unit.path}", days=INVITE_TTL.days))]
    projects = access.visible_projects(deps.session, viewer_of(event))
    found = _find(query, projects)
    if not found:
        return [text(NOT_FOUND.format(query=query))]
    if len(found) > 1:
        choices = [Choice(label=p.name, text=f"เชิญ #{p.id}") for p in found[:13]]
        return [text(WHICH.format(query=query) + "\n" + _numbered(found[:13]), choices)]
    project = found[0]
    code = access.create_code(
        deps.session, "bind", created_by=created_by, ttl=INVITE_TTL, project_ids=[project.id]
    )
    return [text(INVITED.format(code=code, what=project.name, days=INVITE_TTL.days))]


def _redeem(deps: Deps, code: str, kind: str, chat: str) -> tuple[access.InviteCode | None, str]:
    tries_key = f"codetries:{chat}"
    tries = deps.state.get(tries_key)
    if tries is not None and int(tries) >= MAX_WRONG_TRIES:
        return None, LOCKED
    invite, reason = access.redeem_code(deps.session, code, kind, used_in=chat)
    if invite is not None:
        return invite, ""
    if reason == "used":
        return None, USED_CODE
    if reason == "expired":
        return None, EXPIRED_CODE
    count = deps.state.incr(tries_key, ttl=LOCK_SECONDS)
    if count >= MAX_WRONG_TRIES:
        return None, LOCKED
    return None, WRONG_CODE.format(code=code, left=MAX_WRONG_TRIES - count)


def _find(query: str, projects: Sequence[Project]) -> list[Project]:
    by_id = {p.id: p for p in projects}
    found = matches(query, [Candidate(p.id, p.name, p.code) for p in projects])
    return [by_id[c.id] for c in found]


def _numbered(projects: Sequence[Project]) -> str:
    return "\n".join(f"{n}. {p.name}" for n, p in enumerate(projects, start=1))

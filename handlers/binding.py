"""Use cases for binding groups to projects and registering coordinators with
one-time codes, and for coordinators asking for a binding code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.events import IncomingEvent
from bot.render import QUICK_REPLY_LIMIT, Choice, clip, text
from handlers.commands import BIND, INVITE, REGISTER, normalise_code
from handlers.deps import Deps, Message, viewer_of
from handlers.membership import digest_promise
from handlers.queries import NAME_LIMIT, TEXT_BUDGET, capped, match_projects
from plans.matching import Candidate, matches
from storage import access
from storage.plan_models import Project, Unit

MAX_WRONG_TRIES = 5
LOCK_SECONDS = 3600
INVITE_TTL = timedelta(days=7)

GROUP_ONLY = (
    "คำสั่ง “ผูกโครงการ” ใช้ในกลุ่ม LINE ที่ต้องการรายงานโครงการ "
    "กรุณาเพิ่มก้าวหน้าเข้ากลุ่มแล้วพิมพ์คำสั่งในกลุ่มนั้น เช่น “ผูกโครงการ 482913”"
)
ONE_TO_ONE_ONLY = "คำสั่งนี้ใช้ในแชตส่วนตัวกับก้าวหน้าเท่านั้น เพื่อไม่ให้รหัสปรากฏในกลุ่ม"
NO_CODE = "กรุณาพิมพ์รหัสต่อท้ายคำสั่ง เช่น “{usage}”"
WRONG_CODE = "รหัส {code} ไม่ถูกต้อง กรุณาตรวจสอบรหัสจากผู้ประสานงานแล้วลองใหม่ (ลองได้อีก {left} ครั้งในชั่วโมงนี้)"
USED_CODE = "รหัสนี้ถูกใช้ไปแล้ว รหัสแต่ละชุดใช้ได้ครั้งเดียว กรุณาขอรหัสใหม่จากผู้ประสานงาน"
EXPIRED_CODE = "รหัสนี้หมดอายุแล้ว กรุณาขอรหัสใหม่จากผู้ประสานงาน"
LOCKED = "พิมพ์รหัสผิดหลายครั้งเกินไป เพื่อความปลอดภัยกรุณารอประมาณ 1 ชั่วโมงแล้วลองใหม่"
BOUND = "ผูกกลุ่มนี้กับโครงการเรียบร้อยแล้ว ✅\n{projects}\n\nพิมพ์ “รายงาน” เพื่อรายงานความก้าวหน้า หรือ “สถานะ” เพื่อดูความก้าวหน้าเทียบกับแผน"
NOTHING_TO_BIND = (
    "รหัสนี้ถูกต้อง แต่ยังไม่มีโครงการของหน่วยงานนี้ในระบบ จึงยังไม่ได้ใช้รหัสนี้ "
    "กรุณาแจ้งผู้ประสานงานให้นำเข้าแผนก่อน แล้วพิมพ์รหัสเดิมได้อีกครั้ง เช่น “ผูกโครงการ {code}”"
)
REGISTERED = (
    "ลงทะเบียนเป็นผู้ประสานงานของ {unit} เรียบร้อยแล้ว ✅\n{digest}\n"
    "พิมพ์ “สรุป” เพื่อดูความก้าวหน้าของทุกโครงการในหน่วยงาน หรือ “เชิญ <ชื่อโครงการ>” เพื่อขอรหัสผูกกลุ่ม "
    "และพิมพ์ “แจ้งรายงานใหม่ เปิด” หากต้องการรับแจ้งเมื่อมีรายงานใหม่ในแต่ละวัน"
)
NOT_DIGITS = "รหัสมีเฉพาะตัวเลข เช่น “{usage}” แต่ที่พิมพ์มาคือ “{typed}” กรุณาตรวจสอบรหัสอีกครั้ง"
ALREADY_REGISTERED = "ท่านเป็นผู้ประสานงานของ {unit} อยู่แล้ว"
COORDINATORS_ONLY = (
    "คำสั่ง “เชิญ” สำหรับผู้ประสานงานของหน่วยงาน หากท่านเป็นผู้ประสานงาน "
    "กรุณาลงทะเบียนด้วยรหัสจากผู้ดูแลระบบก่อน โดยพิมพ์ “ลงทะเบียน <รหัส>” เช่น “ลงทะเบียน 482913”"
)
INVITE_HOW = (
    "พิมพ์ “เชิญ <ชื่อหรือรหัสโครงการ>” เพื่อขอรหัสผูกกลุ่มของโครงการนั้น เช่น “เชิญ อบรม” "
    "หรือ “เชิญ ทั้งหมด” สำหรับทุกโครงการของหน่วยงาน"
)
NOT_FOUND = (
    "ไม่พบโครงการ “{query}” ในโครงการที่ท่านดูแล กรุณาพิมพ์ชื่อหรือรหัสโครงการอีกครั้ง "
    "เช่น “เชิญ อบรม” หรือ “เชิญ <รหัสโครงการ>”"
)
WHICH = "พบหลายโครงการที่ตรงกับ “{query}” กรุณาเลือกโครงการจากปุ่มด้านล่าง หรือพิมพ์ชื่อให้ละเอียดขึ้น"
WHICH_UNIT = (
    "ท่านเป็นผู้ประสานงานของหลายหน่วยงาน กรุณาเลือกหน่วยงานที่ต้องการรหัสผูกกลุ่มสำหรับทุกโครงการ "
    "หรือพิมพ์ “เชิญ ทั้งหมด <ชื่อหน่วยงาน>” เช่น “เชิญ ทั้งหมด {example}”"
)
NO_SUCH_UNIT = (
    "ไม่พบหน่วยงาน “{query}” ในหน่วยงานที่ท่านดูแล กรุณาเลือกจากปุ่มด้านล่าง "
    "หรือพิมพ์ “เชิญ ทั้งหมด <ชื่อหน่วยงาน>” เช่น “เชิญ ทั้งหมด {example}”"
)
MORE_UNITS = "…และอีก {n} หน่วยงาน"
INVITED = (
    "รหัสผูกกลุ่ม: {code}\n"
    "สำหรับ: {what}\n"
    "ใช้ได้ครั้งเดียว ภายใน {days} วัน\n\n"
    "ให้เพิ่ม “ก้าวหน้า” เข้ากลุ่มงาน แล้วพิมพ์ในกลุ่มว่า\nผูกโครงการ {code}"
)
ALL_WORDS = ("ทั้งหมด", "all", "ทุกโครงการ")
LIST_BUDGET = TEXT_BUDGET - 400  # room for the message around a list of projects


def handle_bind(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if not event.in_group:
        return [text(GROUP_ONLY)]
    if _has_letters(BIND.argument(event)):
        return [text(NOT_DIGITS.format(usage="ผูกโครงการ 482913", typed=BIND.argument(event)[:40]))]
    code = normalise_code(BIND.argument(event))
    if not code:
        return [text(NO_CODE.format(usage="ผูกโครงการ 482913"))]
    invite, problem = _redeem(deps, code, "bind", event.chat_id)
    if invite is None:
        return [text(problem)]
    project_ids = access.code_projects(deps.session, invite)
    if not project_ids:
        access.release_code(deps.session, invite)  # the message promises it still works
        return [text(NOTHING_TO_BIND.format(code=code))]
    access.bind(deps.session, event.chat_id, project_ids, by=event.user_id or "unknown")
    bound = access.bound_projects(deps.session, event.chat_id)
    return [text(BOUND.format(projects=_numbered(bound)))]


def handle_register(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if event.in_group or not event.user_id:
        return [text(ONE_TO_ONE_ONLY)]
    if _has_letters(REGISTER.argument(event)):
        return [text(NOT_DIGITS.format(usage="ลงทะเบียน 482913", typed=REGISTER.argument(event)[:40]))]
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
    return [text(REGISTERED.format(unit=unit.path, digest=digest_promise(deps, unit.id).strip()))]


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
    first, _, rest = query.partition(" ")
    if first.casefold() in ALL_WORDS:
        return _invite_unit(deps, units, rest.strip(), created_by)
    # Only the projects of the units they coordinate: a project seen through a
    # group they are a member of is not theirs to hand out.
    coordinated = access.coordinated_project_ids(deps.session, event.user_id)
    projects = [p for p in access.visible_projects(deps.session, viewer_of(event)) if p.id in coordinated]
    found = match_projects(query, projects)
    if not found:
        return [text(NOT_FOUND.format(query=query))]
    if len(found) > 1:
        shown = found[:QUICK_REPLY_LIMIT]
        choices = [Choice(label=p.name, text=f"เชิญ #{p.id}") for p in shown]
        return [text(WHICH.format(query=query) + "\n" + _numbered(shown), choices)]
    project = found[0]
    code = access.create_code(
        deps.session, "bind", created_by=created_by, ttl=INVITE_TTL, project_ids=[project.id]
    )
    return [text(INVITED.format(code=code, what=project.name, days=INVITE_TTL.days))]


def _invite_unit(deps: Deps, units: Sequence[Unit], query: str, created_by: str) -> Sequence[Message]:
    """A code for every project of one coordinated unit; asks which when there are several."""
    found = list(units)
    if query:
        by_id = {u.id: u for u in units}
        found = [by_id[c.id] for c in matches(query, [Candidate(u.id, u.name) for u in units])]
        if not found:
            message = NO_SUCH_UNIT.format(query=query, example=units[0].name)
            return [text(message + "\n" + _unit_list(units), _unit_choices(units))]
    if len(found) > 1:
        message = WHICH_UNIT.format(example=found[0].name)
        return [text(message + "\n" + _unit_list(found), _unit_choices(found))]
    unit = found[0]
    code = access.create_code(deps.session, "bind", created_by=created_by, ttl=INVITE_TTL, unit_id=unit.id)
    return [text(INVITED.format(code=code, what=f"ทุกโครงการของ{unit.path}", days=INVITE_TTL.days))]


def _unit_choices(units: Sequence[Unit]) -> list[Choice]:
    return [Choice(label=u.name, text=f"เชิญ ทั้งหมด {u.name}") for u in units[:QUICK_REPLY_LIMIT]]


def _unit_list(units: Sequence[Unit]) -> str:
    lines = [f"{n}. {clip(u.path, NAME_LIMIT)}" for n, u in enumerate(units[:QUICK_REPLY_LIMIT], start=1)]
    if len(units) > QUICK_REPLY_LIMIT:
        lines.append(MORE_UNITS.format(n=len(units) - QUICK_REPLY_LIMIT))
    return "\n".join(lines)


def _has_letters(typed: str) -> bool:
    """"ABC123" is not the code 123: codes are digits only (Thai or Arabic)."""
    return any(ch.isalpha() for ch in typed)


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


def _numbered(projects: Sequence[Project]) -> str:
    rows = [f"{n}. {clip(p.name, NAME_LIMIT)}" for n, p in enumerate(projects, start=1)]
    return "\n".join(capped(rows, LIST_BUDGET))

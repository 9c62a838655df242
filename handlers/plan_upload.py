"""Use case: a coordinator loads a plan by sending its file to the bot one-to-one.

The file (.docx, .xlsx, .csv or .txt, up to 10 MB) is fetched from LINE, checked to be
what its name says, kept in the file store, and read by the same importer as
`kaona import` as a dry run. The answer is a card: the fiscal year and unit it will go
into (the coordinator's own; a choice when they coordinate several), how many projects
are new, updated or rejected, and the problems. ยืนยัน stores it (projects that already
have reports keep their steps unless the coordinator also confirms replacing them),
ยกเลิก drops it. Until then nothing is stored but the file and a pending entry that
expires after a day. Anyone else's file gets a polite answer; in a group, a file is not
for the bot (documented silence) unless it belongs to a report under way.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from sqlalchemy import select

from bot.cards import PlanPreview, plan_preview_card
from bot.events import IncomingEvent
from bot.render import Choice, fit, quick_reply, text
from handlers.deps import Deps, Message
from handlers.plans import ImportResult, import_in
from plans.errors import ContentError, FileTooLarge, LineApiError
from plans.model import PlanFileError
from plans.readers.docx import is_docx
from plans.thai import parse_whole
from storage import access
from storage.plan_models import Unit
from storage.plans import unit_tree_ids

log = logging.getLogger(__name__)

ACCEPTED = (".docx", ".xlsx", ".csv", ".txt")
LIMIT = 10 * 1024 * 1024
PENDING_TTL = 24 * 3600
KIND = "plan"
CONFIRM, FORCE, CANCEL, ALL, UNIT = "confirm", "force", "cancel", "all", "unit"
LOCKED = "steps_locked_by_reports"
STATUSES = ("imported", "updated", "unchanged", "rejected")

ONLY_COORDINATORS = (
    "ขออภัย การนำเข้าแผนปฏิบัติราชการจากไฟล์ทำได้เฉพาะผู้ประสานงานของหน่วยงานที่ลงทะเบียนแล้ว "
    "หากท่านเป็นผู้ประสานงาน กรุณาพิมพ์ “ลงทะเบียน <รหัส>” ด้วยรหัสที่ได้รับจากผู้ดูแลระบบก่อน"
)
NOT_ACCEPTED = (
    "ขออภัย ระบบรับไฟล์แผนเป็น .docx (Word), .xlsx (Excel), .csv หรือ .txt เท่านั้น "
    "ไฟล์ “{name}” จึงนำเข้าไม่ได้ กรุณาบันทึกเป็นแบบใดแบบหนึ่งแล้วส่งใหม่"
)
TOO_BIG = "ขออภัย ไฟล์ “{name}” มีขนาดเกิน {mb} MB จึงนำเข้าไม่ได้ กรุณาแยกเป็นหลายไฟล์หรือลดขนาดแล้วส่งใหม่"
NOT_WHAT_IT_SAYS = (
    "ไฟล์ “{name}” ไม่ใช่ไฟล์ {kind} อย่างที่ชื่อบอก (อาจเปลี่ยนนามสกุลไฟล์มา) "
    "กรุณาเปิดด้วยโปรแกรมเดิมแล้วบันทึกเป็น .docx หรือ .xlsx แล้วส่งใหม่"
)
FETCH_FAILED = "ขออภัย ดึงไฟล์จาก LINE ไม่สำเร็จในขณะนี้ กรุณาส่งไฟล์อีกครั้ง"
UNAVAILABLE = "ขออภัย ขณะนี้ระบบยังรับไฟล์แผนทาง LINE ไม่ได้ กรุณาติดต่อผู้ดูแลระบบให้นำเข้าด้วยคำสั่ง kaona import"
CANNOT_READ = "อ่านไฟล์ “{name}” ไม่ได้: {problem}"
EXPIRED = "ปุ่มนี้ใช้ไม่ได้แล้ว (ไฟล์หมดอายุ หรือมีการส่งไฟล์ใหม่แทน) กรุณาส่งไฟล์แผนอีกครั้ง"
CANCELLED = "ยกเลิกการนำเข้าไฟล์ “{name}” แล้ว ไม่มีการบันทึกข้อมูลใด"
NO_LONGER_COORDINATOR = "ขออภัย ท่านไม่ได้เป็นผู้ประสานงานของหน่วยงานนี้แล้ว จึงนำเข้าแผนไม่ได้"
DONE = (
    "นำเข้าแผนจาก “{name}” เข้าหน่วยงาน {unit} เรียบร้อยแล้ว ✅\n"
    "โครงการใหม่ {imported} · ปรับปรุง {updated} · ไม่เปลี่ยนแปลง {unchanged} · ไม่นำเข้า {rejected}\n"
    "พิมพ์ “สถานะ” เพื่อดูความก้าวหน้าเทียบกับแผน หรือ “เชิญ ทั้งหมด” เพื่อขอรหัสผูกกลุ่ม"
)


@dataclass(frozen=True)
class Pending:
    token: str  # the card's buttons carry it: a newer file makes older cards stale
    key: str  # where the file is in the file store
    name: str
    unit_id: int


def _state_key(user_id: str) -> str:
    return f"plan-upload:{user_id}"


def _load(deps: Deps, user_id: str) -> Pending | None:
    raw = deps.state.get(_state_key(user_id))
    if raw is None:
        return None
    try:
        return Pending(**json.loads(raw))
    except (TypeError, ValueError):
        return None


def _save(deps: Deps, user_id: str, pending: Pending) -> None:
    deps.state.set(_state_key(user_id), json.dumps(asdict(pending)), ttl=PENDING_TTL)


def button_data(action: str, token: str, unit_id: int | None = None) -> str:
    fields = {"kaona": KIND, "a": action, "t": token}
    if unit_id is not None:
        fields["u"] = str(unit_id)
    return urlencode(fields)


def _decode(data: str | None) -> dict[str, str] | None:
    raw = {k: v[0] for k, v in parse_qs(data or "").items()}
    return raw if raw.get("kaona") == KIND and raw.get("a") else None


def units_of(deps: Deps, user_id: str) -> list[Unit]:
    """The units a coordinator may load plans into: theirs and the units inside them."""
    ids: list[int] = []
    for unit in access.coordinated_units(deps.session, user_id):
        ids.extend(i for i in unit_tree_ids(deps.session, unit.id) if i not in ids)
    found = {u.id: u for u in deps.session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def is_plan_file(event: IncomingEvent) -> bool:
    return event.type == "message" and event.message_type == "file"


def is_plan_button(event: IncomingEvent) -> bool:
    return event.type == "postback" and _decode(event.postback_data) is not None


def handle_plan_file(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    if event.in_group or not event.user_id:
        return []  # a file in a group is for its members, not for the bot
    units = units_of(deps, event.user_id)
    name = event.file_name or "ไฟล์"
    if not units:
        return [text(ONLY_COORDINATORS)]
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED:
        return [text(NOT_ACCEPTED.format(name=name))]
    if (event.file_size or 0) > LIMIT:
        return [text(TOO_BIG.format(name=name, mb=LIMIT // 2**20))]
    if deps.content is None or deps.files is None or not event.message_id:
        return [text(UNAVAILABLE)]
    try:
        data, content_type = deps.content(event.message_id)
    except FileTooLarge:
        return [text(TOO_BIG.format(name=name, mb=LIMIT // 2**20))]
    except (LineApiError, ContentError):
        log.exception("plan file %s could not be fetched", event.message_id)
        return [text(FETCH_FAILED)]
    if len(data) > LIMIT:
        return [text(TOO_BIG.format(name=name, mb=LIMIT // 2**20))]
    if (kind := _mismatch(suffix, data)) is not None:
        return [text(NOT_WHAT_IT_SAYS.format(name=name, kind=kind))]
    key = f"imports/{event.user_id}/{event.message_id}{suffix}"
    deps.files.put(key, data, content_type)
    pending = Pending(token=secrets.token_hex(6), key=key, name=name, unit_id=units[0].id)
    return _preview(deps, event.user_id, pending, units, data)


def _mismatch(suffix: str, data: bytes) -> str | None:
    """The kind a file claims and is not (a renamed .pdf, a .doc called .docx...)."""
    zipped = data.startswith(b"PK\x03\x04")
    if suffix == ".docx" and not is_docx(data):
        return "Word (.docx)"
    if suffix == ".xlsx" and (not zipped or is_docx(data)):
        return "Excel (.xlsx)"
    if suffix in (".csv", ".txt") and (zipped or b"\x00" in data[:4096] or data.startswith(b"%PDF")):
        return "ข้อความ (.csv/.txt)"
    return None


def _preview(deps: Deps, user_id: str, pending: Pending, units: Sequence[Unit], data: bytes) -> list[Message]:
    unit = next(u for u in units if u.id == pending.unit_id)
    try:
        result = import_in(deps.session, data, pending.name, unit=unit.path, dry_run=True, imported_by=user_id)
    except PlanFileError as exc:
        deps.state.delete(_state_key(user_id))
        return [text(CANNOT_READ.format(name=pending.name, problem=exc.message_th))]
    _save(deps, user_id, pending)
    locked = any(LOCKED in {p.code for p in r.problems} for r in result.projects)
    problems = [f"{_short(r.project.name)}: {p.message_th}" for r in result.projects for p in r.problems
                if p.level == "error"]  # fmt: skip
    card = plan_preview_card(
        PlanPreview(
            file_name=pending.name, unit=unit.path,
            fiscal_years=sorted({r.project.fiscal_year for r in result.projects if r.project.fiscal_year}),
            counts={s: sum(1 for r in result.projects if r.status == s) for s in STATUSES},
            problems=problems, warnings=sum(1 for r in result.projects for p in r.problems if p.level == "warning"),
        ),
        confirm=button_data(CONFIRM, pending.token), cancel=button_data(CANCEL, pending.token),
        show_all=button_data(ALL, pending.token), force=button_data(FORCE, pending.token) if locked else None,
    )  # fmt: skip
    others = [u for u in units if u.id != unit.id]
    if others:
        card["quickReply"] = quick_reply(
            [Choice(label=f"ใส่ใน {u.name}", text=f"นำเข้าใน {u.path}", data=button_data(UNIT, pending.token, u.id))
             for u in others]
        )  # fmt: skip
    return [card]


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:39] + "…"


def handle_plan_button(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    button = _decode(event.postback_data) or {}
    user_id = event.user_id
    pending = _load(deps, user_id) if user_id and not event.in_group else None
    if user_id is None or pending is None or button.get("t") != pending.token:
        return [text(EXPIRED)]
    action = button.get("a")
    if action == CANCEL:
        deps.state.delete(_state_key(user_id))
        return [text(CANCELLED.format(name=pending.name))]
    units = units_of(deps, user_id)
    unit_id = (parse_whole(button.get("u")) if action == UNIT else None) or pending.unit_id
    if not any(u.id == unit_id for u in units):
        deps.state.delete(_state_key(user_id))
        return [text(NO_LONGER_COORDINATOR)]
    try:
        data = deps.files.get(pending.key) if deps.files is not None else None
    except ContentError:
        data = None
    if data is None:
        deps.state.delete(_state_key(user_id))
        return [text(EXPIRED)]
    if action == UNIT:
        return _preview(deps, user_id, Pending(pending.token, pending.key, pending.name, unit_id), units, data)
    unit = next(u for u in units if u.id == unit_id)
    if action == ALL:
        result = import_in(deps.session, data, pending.name, unit=unit.path, dry_run=True, imported_by=user_id)
        return fit([text(part) for part in problem_pages(result)])
    if action not in (CONFIRM, FORCE):
        return [text(EXPIRED)]
    result = import_in(deps.session, data, pending.name, unit=unit.path, force=action == FORCE,
                       imported_by=user_id)  # fmt: skip
    deps.state.delete(_state_key(user_id))
    counts = {status: sum(1 for r in result.projects if r.status == status) for status in STATUSES}
    return [text(DONE.format(name=pending.name, unit=unit.path, **counts))]


def problem_pages(result: ImportResult, *, page: int = 4500) -> list[str]:
    """Every problem of every project, as texts that fit LINE's messages."""
    lines = [f"ปัญหาที่พบในไฟล์ “{result.source}” ทั้งหมด"]
    for r in result.projects:
        if not r.problems:
            continue
        lines.append(f"\n{r.project.name or '(ไม่มีชื่อโครงการ)'}")
        lines.extend(f"• {'ผิดพลาด' if p.level == 'error' else 'คำเตือน'}: {p.message_th}" for p in r.problems)
    if len(lines) == 1:
        lines.append("ไม่พบปัญหา")
    pages: list[str] = []
    current = ""
    for line in lines:
        if len(current) + len(line) + 1 > page:
            pages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*pages, current][:5]

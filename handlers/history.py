"""Use cases: a project's reports this fiscal year (ประวัติ), and a coordinator taking a
mistaken one out (ลบรายงาน), kept in the audit history with its number never reused."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.events import IncomingEvent
from bot.render import clip, text
from handlers.commands import DELETE_REPORT, HISTORY
from handlers.deps import Deps, Message
from handlers.queries import pick_project
from plans.fiscal import fiscal_end, fiscal_start
from plans.standing import percent
from plans.thai import format_thai_date, parse_whole, to_arabic_digits
from storage import access, attachments, reports

NOT_FOUND = "ไม่พบโครงการ “{query}” ในแชตนี้ กรุณาพิมพ์ชื่อหรือรหัสโครงการอีกครั้ง เช่น “ประวัติ อบรม”"
WHICH = "ต้องการดูประวัติรายงานของโครงการใด กรุณาเลือกจากปุ่ม หรือพิมพ์ “ประวัติ <ชื่อโครงการ>”"
HEAD = "📚 ประวัติรายงาน ปีงบประมาณ {year}\n{name}"
NONE_YET = "ยังไม่มีรายงานในปีงบประมาณนี้ พิมพ์ “รายงาน” เพื่อรายงานครั้งแรก"
LINE = "ครั้งที่ {number} · {on} · {percent} · {who}\n   {work}"
SHOWN = 24  # a fiscal year has 12 months: more means extra reports, the oldest are cut
MORE = "…และรายงานเก่ากว่านี้อีก {n} ครั้ง"
FILES = "   📎 ไฟล์แนบ {count} ไฟล์"
DELETE_HOW = "กรุณาระบุโครงการและครั้งที่ของรายงานที่จะลบ เช่น “ลบรายงาน อบรม 3”"
DELETE_WHICH = "ต้องการลบรายงานของโครงการใด กรุณาพิมพ์ “ลบรายงาน <ชื่อโครงการ> <ครั้งที่>” ให้ละเอียดขึ้น"
NOT_COORDINATOR = "ขออภัย การลบรายงานทำได้เฉพาะผู้ประสานงานของหน่วยงานเจ้าของโครงการ"
NO_SUCH_REPORT = "ไม่พบรายงานครั้งที่ {number} ของโครงการ “{name}” (อาจถูกลบไปแล้ว) พิมพ์ “ประวัติ {query}” เพื่อดูรายการ"
DELETED = (
    "ลบรายงานครั้งที่ {number} ของโครงการ “{name}” แล้ว\n"
    "รายงานนี้ยังเก็บไว้ในประวัติการตรวจสอบ และจะไม่นำเลขครั้งที่ {number} มาใช้ซ้ำ"
)
_NUMBERED = re.compile(r"^(?P<project>.*?)\s*(?:ครั้งที่|no\.?|#)?\s*(?P<number>[0-9]+)$")


def handle_history(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    query = HISTORY.argument(event)
    project = pick_project(deps, event, query, command="ประวัติ", not_found=NOT_FOUND, which=WHICH)
    if isinstance(project, list):
        return project
    rows = reports.reports_between(deps.session, project.id, fiscal_start(project.fiscal_year),
                                   fiscal_end(project.fiscal_year))  # fmt: skip
    files = attachments.attachments_by_report(deps.session, project.id)
    head = HEAD.format(year=project.fiscal_year, name=project.name)
    if not rows:
        return [text(f"{head}\n\n{NONE_YET}")]
    lines = []
    for r in rows:
        first = (r.work_done or "-").strip().split("\n", 1)[0]
        line = LINE.format(number=r.number, on=format_thai_date(r.reported_on), percent=percent(r.percent),
                           who=r.reporter_name or "-", work=clip(first, 120))  # fmt: skip
        if files.get(r.number):
            line += "\n" + FILES.format(count=len(files[r.number]))
        lines.append(line)
    shown = lines[:SHOWN]
    if len(lines) > SHOWN:
        shown.append(MORE.format(n=len(lines) - SHOWN))
    return [text("\n".join([head, "", *shown]))]


def handle_delete(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    argument = to_arabic_digits(DELETE_REPORT.argument(event))
    found = _NUMBERED.match(argument)
    if not found or not found["project"].strip():
        return [text(DELETE_HOW)]
    query, number = found["project"].strip(), parse_whole(found["number"])
    project = pick_project(deps, event, query, command="ประวัติ", not_found=NOT_FOUND, which=DELETE_WHICH)
    if isinstance(project, list):
        return project
    if not event.user_id or project.id not in access.coordinated_project_ids(deps.session, event.user_id):
        return [text(NOT_COORDINATOR)]
    if number is None or reports.delete_report(deps.session, project.id, number, by=event.user_id) is None:
        shown = number if number is not None else clip(found["number"], 12)
        return [text(NO_SUCH_REPORT.format(number=shown, name=project.name, query=query))]
    return [text(DELETED.format(number=number, name=project.name))]

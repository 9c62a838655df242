"""Use case: the official progress report form of a project, in chat or on the command line."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.events import IncomingEvent
from bot.files import file_link
from bot.render import TEXT_LIMIT, text, utf16_len
from bot.settings import Settings
from handlers.commands import EXPORT
from handlers.deps import Deps, Message
from handlers.queries import pick_project
from plans.official_form import ProjectSheet, ReportEntry, official_report
from storage import attachments
from storage.plan_models import Kpi, ProgressReport, Project

MAX_MESSAGES = 5
NOT_FOUND = (
    "ไม่พบโครงการ “{query}” ในแชตนี้ กรุณาพิมพ์ชื่อหรือรหัสโครงการอีกครั้ง เช่น “ส่งออก อบรม” "
    "หรือพิมพ์ “โครงการ” เพื่อดูรายชื่อ"
)
WHICH = "ต้องการแบบรายงานของโครงการใด กรุณาเลือกจากปุ่ม หรือพิมพ์ “ส่งออก <ชื่อโครงการ>” เช่น “ส่งออก อบรม”"
TOO_LONG = (
    "\n\n(แบบรายงานฉบับเต็มยาวเกินกว่าที่ส่งใน LINE ได้ ผู้ดูแลระบบพิมพ์ฉบับเต็มได้ด้วยคำสั่ง "
    "kaona export --project #{id})"
)


def handle_export(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """ส่งออก <project>: the form, for anyone who may see the project."""
    project = pick_project(deps, event, EXPORT.argument(event), command="ส่งออก", not_found=NOT_FOUND, which=WHICH)
    if isinstance(project, list):
        return project
    form = form_of(deps.session, project, deps.settings)
    return [text(part) for part in split_for_line(form, suffix=TOO_LONG.format(id=project.id))]


def form_of(session: Session, project: Project, settings: Settings | None = None) -> str:
    rows = session.scalars(
        select(ProgressReport).where(ProgressReport.project_id == project.id).order_by(ProgressReport.number)
    )
    kpi = session.get(Kpi, project.kpi_id) if project.kpi_id else None
    sheet = ProjectSheet(
        name=project.name, code=project.code, fiscal_year=project.fiscal_year, starts_on=project.starts_on,
        ends_on=project.ends_on, budget=project.budget, unit_path=project.unit.path,
        responsible=project.responsible, kpi=kpi.name if kpi else None,
    )  # fmt: skip
    entries = [
        ReportEntry(number=r.number, reported_on=r.reported_on, work_done=r.work_done, percent=r.percent,
                    budget_disbursed=r.budget_disbursed, obstacles=r.obstacles, on_plan=r.on_plan,
                    on_target=r.on_target)  # fmt: skip
        for r in rows
    ]
    return official_report(sheet, entries) + attachments_text(session, project, settings)


def attachments_text(session: Session, project: Project, settings: Settings | None) -> str:
    """The reports' photos and files: names, with links when PUBLIC_BASE_URL is set."""
    files = attachments.attachments_by_report(session, project.id)
    if not files:
        return ""
    lines = ["", "เอกสารและรูปภาพประกอบรายงาน"]
    for number in sorted(files):
        for row in files[number]:
            link = file_link(settings, row.storage_key) if settings else None
            lines.append(f"• ครั้งที่ {number}: {row.file_name}" + (f" {link}" if link else ""))
    return "\n".join(lines)


def split_for_line(form: str, *, suffix: str) -> list[str]:
    """At most five messages of at most 5,000 UTF-16 units, cut between lines; if the
    form is longer, the last message says where the whole of it can be had."""
    parts: list[str] = []
    current = ""
    for line in form.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_len(candidate) <= TEXT_LIMIT:
            current = candidate
            continue
        parts.append(current)
        current = line if utf16_len(line) <= TEXT_LIMIT else line[: TEXT_LIMIT // 2]
    parts.append(current)
    if len(parts) <= MAX_MESSAGES:
        return parts
    kept = parts[:MAX_MESSAGES]
    last = kept[-1]
    while utf16_len(last + suffix) > TEXT_LIMIT:
        last = last[: len(last) - 200]
    kept[-1] = last + suffix
    return kept

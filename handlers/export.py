"""Use case: the official progress report form, in chat (text, or a signed link to
the workbook) and for the command line and the download route (text, xlsx, JSON)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from bot import export_links
from bot.events import IncomingEvent
from bot.files import file_link
from bot.render import TEXT_LIMIT, text, utf16_len
from bot.settings import Settings
from handlers.commands import EXPORT
from handlers.deps import Deps, Message, viewer_of
from handlers.queries import pick_project
from handlers.summary import summary_of
from plans.official_form import ProjectForm, ProjectSheet, ReportEntry, form_json, official_report
from plans.summary import Summary, summary_json
from storage import access, attachments
from storage.plan_models import ProgressReport, Project
from storage.plans import plan_steps
from storage.reports import step_progress

MAX_MESSAGES = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND = (
    "ไม่พบโครงการ “{query}” ในแชตนี้ กรุณาพิมพ์ชื่อหรือรหัสโครงการอีกครั้ง เช่น “ส่งออก อบรม” "
    "หรือพิมพ์ “โครงการ” เพื่อดูรายชื่อ"
)
WHICH = "ต้องการแบบรายงานของโครงการใด กรุณาเลือกจากปุ่ม หรือพิมพ์ “ส่งออก <ชื่อโครงการ>” เช่น “ส่งออก อบรม”"
TOO_LONG = (
    "\n\n(แบบรายงานฉบับเต็มยาวเกินกว่าที่ส่งใน LINE ได้ ผู้ดูแลระบบพิมพ์ฉบับเต็มได้ด้วยคำสั่ง "
    "kaona export --project #{id})"
)
HOW_TO_GET_FILE = (
    "\n\nต้องการไฟล์ Excel (พร้อมกราฟแผนเทียบผล) กรุณาขอให้ผู้ดูแลระบบใช้คำสั่ง "
    "kaona export --format xlsx --project #{id} หรือตั้งค่า PUBLIC_BASE_URL เพื่อให้ส่งลิงก์ได้"
)
LINK = "📎 ไฟล์ Excel แบบรายงานความก้าวหน้า{what}\n{url}\nลิงก์นี้ใช้ได้ {hours} ชั่วโมง สำหรับผู้ขอในแชตนี้เท่านั้น"


def handle_export(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """ส่งออก [project]: a signed link to the workbook when the web app is public,
    else the form as text; for anyone who may see the project."""
    query = EXPORT.argument(event)
    settings = deps.settings
    if settings.public_base_url and not query:
        if not access.visible_project_ids(deps.session, viewer_of(event)):
            from handlers.queries import nothing_here

            return [text(nothing_here(event))]
        return [text(_link(deps, event, None, " ของทุกโครงการที่ดูได้ในแชตนี้"))]
    project = pick_project(deps, event, query, command="ส่งออก", not_found=NOT_FOUND, which=WHICH)
    if isinstance(project, list):
        return project
    if settings.public_base_url:  # the workbook's link, and the reports' files linked one by one
        return [text(_link(deps, event, project.id, f"\n{project.name}")
                     + attachments_text(deps.session, project.id, settings))]  # fmt: skip
    form = form_of(deps.session, project, on=deps.today, settings=settings)
    suffix = TOO_LONG.format(id=project.id)
    parts = split_for_line(form + HOW_TO_GET_FILE.format(id=project.id), suffix=suffix)
    return [text(part) for part in parts]


def _link(deps: Deps, event: IncomingEvent, project_id: int | None, what: str) -> str:
    scope = export_links.LinkScope(viewer_of(event), project_id)
    url = export_links.link(deps.settings, scope)
    return LINK.format(what=what, url=url, hours=max(1, deps.settings.export_link_ttl_seconds // 3600))


# The form's content ------------------------------------------------------------------


def project_forms(session: Session, ids: Select[Any] | Sequence[int]) -> list[ProjectForm]:
    """The form of each project, in two queries: projects (with steps, unit, KPI) and reports."""
    projects = list(
        session.scalars(
            select(Project)
            .where(Project.id.in_(ids))
            .options(selectinload(Project.steps), selectinload(Project.unit), selectinload(Project.kpi))
            .order_by(Project.unit_id, Project.id)
        )
    )
    by_project: dict[int, list[ReportEntry]] = {p.id: [] for p in projects}
    reports = session.scalars(
        select(ProgressReport)
        .where(ProgressReport.project_id.in_([p.id for p in projects]))
        .order_by(ProgressReport.project_id, ProgressReport.number)
    )
    for report in reports:
        by_project[report.project_id].append(_entry(report))
    return [ProjectForm(p.id, _sheet(p), by_project[p.id]) for p in projects]


def _sheet(project: Project) -> ProjectSheet:
    return ProjectSheet(
        name=project.name, code=project.code, fiscal_year=project.fiscal_year, starts_on=project.starts_on,
        ends_on=project.ends_on, budget=project.budget, unit_path=project.unit.path,
        responsible=project.responsible, kpi=project.kpi.name if project.kpi else None,
        phone=project.responsible_phone, kpi_target=project.kpi_target, kpi_value=project.kpi_value,
        steps=tuple(plan_steps(project.steps)),
    )  # fmt: skip


def _entry(r: ProgressReport) -> ReportEntry:
    _, _, reason = step_progress(r)
    return ReportEntry(
        number=r.number, reported_on=r.reported_on, work_done=r.work_done, percent=Decimal(r.percent),
        budget_disbursed=Decimal(r.budget_disbursed), obstacles=r.obstacles, on_plan=r.on_plan,
        on_target=r.on_target, planned_percent=None if r.planned_percent is None else Decimal(r.planned_percent),
        reason=reason, reporter=r.reporter_name,
    )  # fmt: skip


def form_of(session: Session, project: Project, *, on: date | None = None, settings: Settings | None = None) -> str:
    [form] = project_forms(session, [project.id])
    return official_report(form.sheet, form.entries, on=on) + attachments_text(session, project.id, settings)


def attachments_text(session: Session, project_id: int, settings: Settings | None) -> str:
    """The reports' photos and files: names, with links when PUBLIC_BASE_URL is set."""
    files = attachments.attachments_by_report(session, project_id)
    if not files:
        return ""
    lines = ["", "เอกสารและรูปภาพประกอบรายงาน"]
    for number in sorted(files):
        for row in files[number]:
            link = file_link(settings, row.storage_key) if settings else None
            lines.append(f"• ครั้งที่ {number}: {row.file_name}" + (f" {link}" if link else ""))
    return "\n".join(lines)


def forms_text(forms: Sequence[ProjectForm], *, on: date) -> str:
    return "\n\n\n".join(official_report(f.sheet, f.entries, on=on) for f in forms)


def forms_json(forms: Sequence[ProjectForm], *, on: date, summary: Summary | None = None) -> dict[str, Any]:
    return {
        "format": "kaona-progress-report/1",
        "as_of": on.isoformat(),
        "summary": summary_json(summary) if summary is not None else None,
        "projects": [{"id": f.id, **form_json(f.sheet, f.entries, on=on)} for f in forms],
    }


def workbook_bytes(
    session: Session, ids: Select[Any], *, on: date, tolerance: Decimal = Decimal(0), fiscal_year: int | None = None
) -> bytes:
    """The workbook of the projects ``ids`` selects (of one fiscal year), as xlsx bytes."""
    # openpyxl (with PIL and lxml, ~13 MB) is loaded when a workbook is first built.
    from plans.workbook import build_workbook

    summary = summary_of(session, ids, on, tolerance=tolerance, fiscal_year=fiscal_year)
    chosen = [p.id for p in summary.projects] if summary else []
    book = build_workbook(summary, project_forms(session, chosen), on=on)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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

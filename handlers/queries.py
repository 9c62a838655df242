"""Use cases for questions: which projects, where one stands, a summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bot.events import IncomingEvent
from bot.fiscal import YearMonth
from bot.matching import Candidate, matches
from bot.render import Choice, text
from bot.standing import Standing, bar, percent, standing
from bot.thai import format_thai_date
from handlers.commands import STATUS
from handlers.deps import Deps, Message, viewer_of
from storage import access
from storage.plan_models import ProgressReport, Project
from storage.plans import latest_reports, plan_steps

NOTHING_HERE_GROUP = (
    "กลุ่มนี้ยังไม่ได้ผูกกับโครงการใด\n"
    "ขอรหัสผูกกลุ่มจากผู้ประสานงาน แล้วพิมพ์  ผูกโครงการ <รหัส>"
)
NOTHING_HERE_USER = (
    "ยังไม่มีโครงการที่ท่านติดตามได้ในแชตนี้\n"
    "โครงการจะปรากฏเมื่อท่านอยู่ในกลุ่มงานที่ผูกกับโครงการ หรือเป็นผู้ประสานงานของหน่วยงาน"
)
NOT_FOUND = "ไม่พบโครงการ “{query}” ในแชตนี้ กรุณาตรวจสอบชื่อหรือรหัสโครงการ หรือพิมพ์ “โครงการ” เพื่อดูรายชื่อ"
WHICH = "โครงการไหน? เลือกจากรายการ หรือพิมพ์  สถานะ <ส่วนหนึ่งของชื่อโครงการ>"
CHOICES = 13


def nothing_here(event: IncomingEvent) -> str:
    return NOTHING_HERE_GROUP if event.in_group else NOTHING_HERE_USER


def find_visible(deps: Deps, event: IncomingEvent, query: str) -> tuple[list[Project], list[Project]]:
    """(all projects visible in this chat, those matching the query). Matching only
    ever sees visible projects, so no name of another unit's project can leak."""
    projects = access.visible_projects(deps.session, viewer_of(event))
    if not query:
        return projects, projects
    by_id = {p.id: p for p in projects}
    found = matches(query, [Candidate(p.id, p.name, p.code) for p in projects])
    return projects, [by_id[c.id] for c in found]


def project_choices(projects: Sequence[Project], command: str) -> list[Choice]:
    return [Choice(label=p.name, text=f"{command} #{p.id}") for p in projects[:CHOICES]]


def handle_projects(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    projects = access.visible_projects(deps.session, viewer_of(event))
    if not projects:
        return [text(nothing_here(event))]
    lines = [f"โครงการที่ติดตามในแชตนี้ ({len(projects)} โครงการ)"]
    for n, project in enumerate(projects, start=1):
        code = f" [{project.code}]" if project.code else ""
        lines.append(f"{n}. {project.name}{code} · ปีงบประมาณ {project.fiscal_year}")
    lines.append("\nพิมพ์  สถานะ <ชื่อโครงการ>  เพื่อดูความก้าวหน้าเทียบกับแผน")
    return [text("\n".join(lines), project_choices(projects, "สถานะ"))]


def handle_status(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    query = STATUS.argument(event)
    projects, found = find_visible(deps, event, query)
    if not projects:
        return [text(nothing_here(event))]
    if not found:
        return [text(NOT_FOUND.format(query=query))]
    if len(found) > 1:
        return [text(WHICH, project_choices(found, "สถานะ"))]
    project = found[0]
    report = latest_reports(deps.session, [project.id]).get(project.id)
    return [text(status_text(project, report, deps.today))]


def status_text(project: Project, report: ProgressReport | None, today: date) -> str:
    steps = plan_steps(project.steps)
    actual = Decimal(report.percent) if report else None
    where = standing(steps, actual, today)
    code = f" [{project.code}]" if project.code else ""
    lines = [
        f"📊 {project.name}{code}",
        f"ปีงบประมาณ {project.fiscal_year} · {project.unit.path}",
        "",
        f"ผลการดำเนินงาน {bar(where.actual)} {percent(where.actual)}",
    ]
    if where.planned is not None:
        lines.append(f"ตามแผน ณ {format_thai_date(today)}: {percent(where.planned)}")
    if report:
        lines.append(f"รายงานล่าสุด: ครั้งที่ {report.number} วันที่ {format_thai_date(report.reported_on)}")
    else:
        lines.append("ยังไม่มีรายงานความก้าวหน้า")
    lines.append(f"สถานะ: {_verdict(where)}")
    if where.due_now:
        lines.append("\nขั้นตอนตามแผนเดือนนี้:")
        lines.extend(f"• {s.no}. {s.title}" for s in where.due_now)
    return "\n".join(lines)


def _verdict(where: Standing) -> str:
    label = where.status.label_th
    if where.points is None or where.points == 0:
        return label
    points = format(abs(where.points).normalize(), "f")
    detail = f"{points} จุด"
    if where.months:
        detail += f" หรือประมาณ {abs(where.months).normalize():f} เดือน"
    return f"{label} ({detail})"


def handle_summary(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    projects = access.visible_projects(deps.session, viewer_of(event))
    if not projects:
        return [text(nothing_here(event))]
    latest_year = max(p.fiscal_year for p in projects)
    projects = [p for p in projects if p.fiscal_year == latest_year]
    reports = latest_reports(deps.session, [p.id for p in projects])
    month = YearMonth.of(deps.today)
    reported, missing, behind = [], [], []
    for project in projects:
        report = reports.get(project.id)
        if report and YearMonth.of(report.reported_on) == month:
            reported.append(project)
        else:
            missing.append(project)
        where = standing(plan_steps(project.steps), Decimal(report.percent) if report else None, deps.today)
        if where.status.name == "BEHIND":
            behind.append((project, where))
    lines = [
        f"สรุปความก้าวหน้า ณ {format_thai_date(deps.today)} · ปีงบประมาณ {latest_year}",
        f"รายงานแล้วเดือนนี้ {len(reported)} จาก {len(projects)} โครงการ",
    ]
    if missing:
        lines.append("\nยังไม่รายงานเดือนนี้:")
        lines.extend(f"• {p.name}" for p in missing)
    if behind:
        lines.append("\nล่าช้ากว่าแผน:")
        lines.extend(f"• {p.name} (ผล {percent(w.actual)} / แผน {percent(w.planned)})" for p, w in behind)
    if not missing and not behind:
        lines.append("\nทุกโครงการรายงานแล้วและเป็นไปตามแผน 👍")
    return [text("\n".join(lines))]

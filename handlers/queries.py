"""Use cases for questions: which projects, where one stands, a summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.events import IncomingEvent
from bot.render import QUICK_REPLY_LIMIT, Choice, clip, text, utf16_len
from handlers.commands import STATUS
from handlers.deps import Deps, Message, viewer_of
from plans.fiscal import YearMonth, fiscal_year_of
from plans.matching import Candidate, matches
from plans.progress import Status
from plans.standing import Standing, bar, percent, standing
from plans.thai import format_thai_date
from storage import access
from storage.plan_models import ProgressReport, Project
from storage.plans import latest_reports, plan_steps

NOTHING_HERE_GROUP = (
    "กลุ่มนี้ยังไม่ได้ผูกกับโครงการใด\n"
    "กรุณาขอรหัสผูกกลุ่มจากผู้ประสานงาน แล้วพิมพ์ “ผูกโครงการ <รหัส>” เช่น “ผูกโครงการ 482913”"
)
NOTHING_HERE_USER = (
    "ยังไม่มีโครงการที่ท่านติดตามได้ในแชตนี้\n"
    "โครงการจะปรากฏเมื่อท่านอยู่ในกลุ่มงานที่ผูกกับโครงการ หรือเป็นผู้ประสานงานของหน่วยงาน\n"
    "หากท่านได้รับรหัสผู้ประสานงาน พิมพ์ “ลงทะเบียน <รหัส>” เช่น “ลงทะเบียน 482913”"
)
NOT_FOUND = (
    "ไม่พบโครงการ “{query}” ในแชตนี้ กรุณาพิมพ์ชื่อหรือรหัสโครงการอีกครั้ง "
    "เช่น “สถานะ อบรม” หรือ “สถานะ <รหัสโครงการ>” หรือพิมพ์ “โครงการ” เพื่อดูรายชื่อ"
)
WHICH = "พบหลายโครงการ กรุณาเลือกจากปุ่มด้านล่าง หรือพิมพ์ชื่อให้ละเอียดขึ้น เช่น “สถานะ อบรมอาสาสมัคร”"
LISTED = "โครงการในแชตนี้มี {count} โครงการ กรุณาเลือกจากปุ่ม หรือพิมพ์ “{command} <ชื่อโครงการ>”\n{names}"
OTHER_YEARS = "(มีโครงการของปีงบประมาณอื่นอีก {n} โครงการ)"
STATUS_NEXT = "พิมพ์ “สถานะ <ชื่อหรือรหัสโครงการ>” เพื่อดูความก้าวหน้าเทียบกับแผน เช่น “สถานะ อบรม”"
MORE = "…และอีก {n} โครงการ"

# A long list is shortened, never cut mid-way by LINE's 5,000-unit text limit:
# at most LIST_LIMIT projects per section, names clipped, the whole well under.
LIST_LIMIT = 30
NAME_LIMIT = 120
TEXT_BUDGET = 4500


def nothing_here(event: IncomingEvent) -> str:
    return NOTHING_HERE_GROUP if event.in_group else NOTHING_HERE_USER


def match_projects(query: str, projects: Sequence[Project]) -> list[Project]:
    """The projects that fit what was typed (a code, "#id" or part of a name), best first."""
    by_id = {p.id: p for p in projects}
    found = matches(query, [Candidate(p.id, p.name, p.code) for p in projects])
    return [by_id[c.id] for c in found]


def find_visible(deps: Deps, event: IncomingEvent, query: str) -> tuple[list[Project], list[Project]]:
    """(all projects visible in this chat, those matching the query). Matching only
    ever sees visible projects, so no name of another unit's project can leak."""
    projects = access.visible_projects(deps.session, viewer_of(event))
    if not query:
        return projects, projects
    return projects, match_projects(query, projects)


def current_year_projects(projects: Sequence[Project], today: date) -> list[Project]:
    """The projects of the fiscal year ``today`` is in; failing that, of the latest
    year before it; failing that, of the earliest year after it."""
    years = {p.fiscal_year for p in projects}
    if not years:
        return []
    current = fiscal_year_of(today)
    earlier = [y for y in years if y <= current]
    year = max(earlier) if earlier else min(years)
    return [p for p in projects if p.fiscal_year == year]


def project_choices(projects: Sequence[Project], command: str) -> list[Choice]:
    return [Choice(label=p.name, text=f"{command} #{p.id}") for p in projects[:QUICK_REPLY_LIMIT]]


def capped(lines: Sequence[str], budget: int, *, limit: int = LIST_LIMIT) -> list[str]:
    """The first lines that fit in ``budget`` UTF-16 units (``limit`` at most), then
    "…และอีก N โครงการ" for the rest."""
    out: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        left = len(lines) - n
        room_for_more = 0 if left == 1 else utf16_len(MORE.format(n=left)) + 1
        size = utf16_len(line) + 1
        if n >= limit or used + size + room_for_more > budget:
            out.append(MORE.format(n=left))
            break
        out.append(line)
        used += size
    return out


def handle_projects(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    projects = access.visible_projects(deps.session, viewer_of(event))
    if not projects:
        return [text(nothing_here(event))]
    current = current_year_projects(projects, deps.today)
    head = [f"โครงการที่ติดตามในแชตนี้ ({len(current)} โครงการ) · ปีงบประมาณ {current[0].fiscal_year}"]
    tail: list[str] = []
    if len(projects) > len(current):
        tail.append(OTHER_YEARS.format(n=len(projects) - len(current)))
    tail.append("\n" + STATUS_NEXT)
    rows = [
        f"{n}. {clip(p.name, NAME_LIMIT)}" + (f" [{p.code}]" if p.code else "")
        for n, p in enumerate(current, start=1)
    ]
    body = capped(rows, TEXT_BUDGET - _size(head + tail))
    return [text("\n".join(head + body + tail), project_choices(current, "สถานะ"))]


def pick_project(
    deps: Deps, event: IncomingEvent, query: str, *, command: str, not_found: str, which: str
) -> Project | list[Message]:
    """The one visible project the query names, or the answer to give instead: no
    projects here, none found, or buttons to choose among several."""
    projects, found = find_visible(deps, event, query)
    if not projects:
        return [text(nothing_here(event))]
    if not found:
        return [text(not_found.format(query=query))]
    if len(found) > 1:
        if not query.strip():  # nothing named: the list, not "found several"
            rows = [f"{n}. {clip(p.name, NAME_LIMIT)}" for n, p in enumerate(found, start=1)]
            listed = LISTED.format(count=len(found), command=command, names="\n".join(capped(rows, TEXT_BUDGET)))
            return [text(listed, project_choices(found, command))]
        return [text(which, project_choices(found, command))]
    return found[0]


def handle_status(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    project = pick_project(deps, event, STATUS.argument(event), command="สถานะ", not_found=NOT_FOUND, which=WHICH)
    if isinstance(project, list):
        return project
    report = latest_reports(deps.session, [project.id]).get(project.id)
    return [text(status_text(project, report, deps.today, tolerance=deps.settings.plan_tolerance))]


def status_text(
    project: Project, report: ProgressReport | None, today: date, *, tolerance: Decimal = Decimal(0)
) -> str:
    steps = plan_steps(project.steps)
    actual = Decimal(report.percent) if report else None
    where = standing(steps, actual, today, tolerance=tolerance)
    code = f" [{project.code}]" if project.code else ""
    lines = [
        f"📊 {project.name}{code}",
        f"ปีงบประมาณ {project.fiscal_year} · {project.unit.path}",
        "",
        f"ความก้าวหน้า {bar(where.actual)} {percent(where.actual)}",
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
    detail = f"{points} จุดร้อยละ"
    if where.months:
        detail += f" หรือประมาณ {abs(where.months).normalize():f} เดือน"
    return f"{label} ({detail})"


def handle_summary(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    projects = access.visible_projects(deps.session, viewer_of(event))
    if not projects:
        return [text(nothing_here(event))]
    summary = summarise(deps.session, projects, deps.today, tolerance=deps.settings.plan_tolerance)
    return [text(summary.text)]


@dataclass(frozen=True)
class Summary:
    """The `สรุป` answer and what it found; the coordinators' digest sends the same."""

    text: str
    projects: list[Project]
    missing: list[Project]
    behind: list[Project]


def summarise(session: Session, projects: Sequence[Project], today: date, *, tolerance: Decimal) -> Summary:
    """Who reported this month, who has not, who is behind plan (by how much), for the
    projects of the current fiscal year among ``projects`` (which must not be empty)."""
    projects = current_year_projects(projects, today)
    reports = latest_reports(session, [p.id for p in projects])
    month = YearMonth.of(today)
    reported, missing, behind = [], [], []
    for project in projects:
        report = reports.get(project.id)
        if report and YearMonth.of(report.reported_on) == month:
            reported.append(project)
        else:
            missing.append(project)
        actual = Decimal(report.percent) if report else None
        where = standing(plan_steps(project.steps), actual, today, tolerance=tolerance)
        if where.status is Status.BEHIND:
            behind.append((project, where))
    head = [
        f"สรุปความก้าวหน้า ณ {format_thai_date(today)} · ปีงบประมาณ {projects[0].fiscal_year}",
        f"รายงานแล้วเดือนนี้ {len(reported)} จาก {len(projects)} โครงการ",
    ]
    sections: list[tuple[str, list[str]]] = []
    if missing:
        sections.append(("\nยังไม่รายงานเดือนนี้:", [f"• {clip(p.name, NAME_LIMIT)}" for p in missing]))
    if behind:
        rows = [f"• {clip(p.name, NAME_LIMIT)} (ผล {percent(w.actual)} / แผน {percent(w.planned)})" for p, w in behind]
        sections.append(("\nล่าช้ากว่าแผน:", rows))
    tail: list[str] = [] if sections else ["\nทุกโครงการรายงานแล้วและเป็นไปตามแผน 👍"]
    tail.append("\n" + STATUS_NEXT)
    budget = TEXT_BUDGET - _size(head + tail + [title for title, _ in sections])
    lines = list(head)
    for title, rows in sections:
        lines.append(title)
        lines.extend(capped(rows, budget // len(sections)))
    return Summary("\n".join(lines + tail), list(projects), missing, [p for p, _ in behind])


def _size(lines: Sequence[str]) -> int:
    return sum(utf16_len(line) + 1 for line in lines)

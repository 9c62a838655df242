"""Use cases for questions: which projects, where one stands, a summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.events import IncomingEvent
from bot.render import QUICK_REPLY_LIMIT, Choice, clip, text, utf16_len
from bot.status_cards import (
    CAROUSEL_LIMIT,
    status_card,
    status_carousel,
    summary_card,
    urgency,
    verdict,
)
from handlers.commands import STATUS, SUMMARY
from handlers.deps import Deps, Message, viewer_of
from handlers.summary import (
    LIST_LIMIT,
    NAME_LIMIT,
    STATUS_NEXT,
    TEXT_BUDGET,
    Lines,
    capped,
    current_year,
    summary_text,
    unit_summary,
    units_named,
)
from plans.matching import Candidate, matches
from plans.project_status import LastReport, ProjectStatus, step_states
from plans.standing import percent, standing
from storage import access, overview
from storage.plan_models import Project
from storage.plans import plan_steps
from storage.reports import disbursed_total, latest_report, step_progress

__all__ = ["LIST_LIMIT", "NAME_LIMIT", "STATUS_NEXT", "TEXT_BUDGET", "capped"]

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
NARROW = "พิมพ์ “สถานะ <ชื่อหรือรหัสโครงการ>” เพื่อดูรายละเอียดโครงการเดียว หรือ “สรุป” เพื่อดูภาพรวม"
CLOSE_HINT = "โครงการที่ชื่อใกล้เคียงอยู่ในปุ่มด้านล่าง"
NO_UNIT = "ไม่พบหน่วยงาน “{query}” ในแชตนี้ หน่วยงานที่ดูได้: {units}"
CLOSE = 0.4
ECHO = 60  # characters of what was typed, said back in an answer



def nothing_here(event: IncomingEvent) -> str:
    return NOTHING_HERE_GROUP if event.in_group else NOTHING_HERE_USER


def match_projects(query: str, projects: Sequence[Project]) -> list[Project]:
    """The projects that fit what was typed (a code, "#id" or part of a name), best first."""
    by_id = {p.id: p for p in projects}
    found = matches(query, [Candidate(p.id, p.name, p.code) for p in projects])
    return [by_id[c.id] for c in found]


def visible_candidates(deps: Deps, event: IncomingEvent) -> list[Candidate]:
    """Name and code of every project visible in this chat, one light query: matching
    only ever sees these, so no name of another unit's project can leak."""
    ids = access.visible_ids_query(deps.session, viewer_of(event))
    return [Candidate(r.id, r.name, r.code) for r in overview.project_rows(deps.session, ids)]


def current_year_projects(projects: Sequence[Project], today: date) -> list[Project]:
    """The projects of the fiscal year ``today`` is in; failing that, of the latest
    year before it; failing that, of the earliest year after it."""
    year = current_year((p.fiscal_year for p in projects), today)
    return [p for p in projects if p.fiscal_year == year]


def project_choices(projects: Sequence[Project] | Sequence[Candidate], command: str) -> list[Choice]:
    return [Choice(label=p.name, text=f"{command} #{p.id}") for p in projects[:QUICK_REPLY_LIMIT]]


def handle_projects(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    ids = access.visible_ids_query(deps.session, viewer_of(event))
    years = overview.fiscal_years(deps.session, ids)
    year = current_year(years, deps.today)
    if year is None:
        return [text(nothing_here(event))]
    current = overview.project_rows(deps.session, ids, fiscal_year=year)
    current.sort(key=lambda p: p.id)
    head = [f"โครงการที่ติดตามในแชตนี้ ({len(current)} โครงการ) · ปีงบประมาณ {year}"]
    tail: list[str] = []
    others = sum(n for y, n in years.items() if y != year)
    if others:
        tail.append(OTHER_YEARS.format(n=others))
    tail.append("\n" + STATUS_NEXT)

    def listed(n: int) -> str:
        project = current[n]
        return f"{n + 1}. {clip(project.name, NAME_LIMIT)}" + (f" [{project.code}]" if project.code else "")

    body = capped(Lines(range(len(current)), listed), TEXT_BUDGET - _size(head + tail))
    choices = [Choice(label=p.name, text=f"สถานะ #{p.id}") for p in current[:QUICK_REPLY_LIMIT]]
    return [text("\n".join(head + body + tail), choices)]


def pick_project(
    deps: Deps, event: IncomingEvent, query: str, *, command: str, not_found: str, which: str
) -> Project | list[Message]:
    """The one visible project the query names, or the answer to give instead: no
    projects here, none found (with the close ones as buttons), or buttons to choose
    among several."""
    candidates = visible_candidates(deps, event)
    if not candidates:
        return [text(nothing_here(event))]
    found = matches(query, candidates) if query else candidates
    if not found:
        close = matches(query, candidates, threshold=CLOSE)[:QUICK_REPLY_LIMIT]
        hint = not_found.format(query=clip(query, ECHO))
        if close:
            hint += "\n" + CLOSE_HINT
        return [text(hint, project_choices(close, command))]
    if len(found) > 1:
        if not query.strip():  # nothing named: the list, not "found several"
            rows = [f"{n}. {clip(p.name, NAME_LIMIT)}" for n, p in enumerate(found, start=1)]
            listed = LISTED.format(count=len(found), command=command, names="\n".join(capped(rows, TEXT_BUDGET)))
            return [text(listed, project_choices(found, command))]
        return [text(which, project_choices(found, command))]
    return load_project(deps.session, found[0].id)


def load_project(session: Session, project_id: int) -> Project:
    project = session.scalar(
        select(Project).where(Project.id == project_id).options(selectinload(Project.steps), selectinload(Project.unit))
    )
    assert project is not None  # it was just found among the visible ones
    return project


def handle_status(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    query = STATUS.argument(event)
    if not query:
        return status_of_all(event, deps)
    project = pick_project(deps, event, query, command="สถานะ", not_found=NOT_FOUND, which=WHICH)
    if isinstance(project, list):
        return project
    return [status_card(project_status(deps.session, project, deps.today, tolerance=deps.settings.plan_tolerance))]


def project_status(session: Session, project: Project, today: date, *, tolerance: Decimal = Decimal(0)) -> ProjectStatus:
    steps = plan_steps(project.steps)
    report = latest_report(session, project.id)
    where = standing(steps, Decimal(report.percent) if report else None, today, tolerance=tolerance)
    completed, in_progress, _ = step_progress(report) if report else ((), None, None)
    last = None
    if report:
        last = LastReport(report.number, report.reported_on, report.work_done, report.reporter_name)
    return ProjectStatus(
        id=project.id, name=project.name, code=project.code, fiscal_year=project.fiscal_year,
        unit=project.unit.path, on=today, standing=where,
        steps=step_states(steps, completed, in_progress, where.due_now), last=last,
        budget=project.budget, disbursed=disbursed_total(session, project.id),
    )  # fmt: skip


def status_of_all(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """`สถานะ` alone: the chat's projects as a carousel, late and behind first; past
    twelve, a text list and a hint to narrow."""
    summary = unit_summary(deps.session, viewer_of(event), deps.today, tolerance=deps.settings.plan_tolerance)
    if summary is None:
        return [text(nothing_here(event))]
    projects = summary.projects
    if len(projects) <= CAROUSEL_LIMIT:
        return [status_carousel(projects, deps.today)]
    ordered = sorted(projects, key=lambda p: urgency(p, deps.today))
    head = [f"โครงการในแชตนี้ {len(projects)} โครงการ · ปีงบประมาณ {summary.fiscal_year} (ล่าช้าก่อน)"]
    tail = ["\n" + NARROW]
    rows = Lines(ordered, lambda p: f"• {clip(p.name, NAME_LIMIT)}: {percent(p.actual or Decimal(0))} · {verdict(p)}")
    body = capped(rows, TEXT_BUDGET - _size(head + tail))
    choices = [Choice(label=p.name, text=f"สถานะ #{p.id}") for p in ordered[:QUICK_REPLY_LIMIT]]
    return [text("\n".join(head + body + tail), choices)]


def handle_summary(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """สรุป [unit]: per unit of this chat, this fiscal month."""
    viewer = viewer_of(event)
    query = SUMMARY.argument(event)
    unit_ids: list[int] | None = None
    if query:
        unit_ids, known = units_named(deps.session, viewer, query)
        if not known:
            return [text(nothing_here(event))]
        if not unit_ids:
            return [text(NO_UNIT.format(query=query, units=", ".join(clip(u, 60) for u in known[:10])))]
    summary = unit_summary(deps.session, viewer, deps.today, tolerance=deps.settings.plan_tolerance, unit_ids=unit_ids)
    if summary is None:
        return [text(nothing_here(event))]
    return [summary_card(summary), text(summary_text(summary))]


def _size(lines: Sequence[str]) -> int:
    return sum(utf16_len(line) + 1 for line in lines)

"""Repository functions for action plans. Each takes a Session; commit is the caller's."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from plans.fiscal import YearMonth, fiscal_end, fiscal_start
from plans.model import ParsedProject, PlanStep, Problem
from storage.db import utcnow
from storage.plan_models import FiscalYear, Kpi, PlanImport, ProgressReport, Project, Step, Unit

UNIT_SEPARATOR = "/"


@dataclass(frozen=True)
class SaveOutcome:
    status: str  # imported | updated | unchanged | rejected
    project: Project | None
    problems: list[Problem]


def project_key(code: str | None, name: str) -> str:
    """What identifies a project across re-imports: its code, else its name."""
    if code:
        return f"code:{code.strip()}"
    return "name:" + " ".join(name.split()).casefold()


def ensure_fiscal_year(session: Session, year: int) -> None:
    if session.get(FiscalYear, year) is None:
        session.add(FiscalYear(year=year, starts_on=fiscal_start(year), ends_on=fiscal_end(year)))
        session.flush()


def ensure_unit(session: Session, path: str) -> Unit:
    """A unit by name; "สำนักงานเขตบางซื่อ / ฝ่ายปกครอง" makes the chain of parents."""
    parent: Unit | None = None
    for name in [" ".join(part.split()) for part in path.split(UNIT_SEPARATOR) if part.strip()]:
        unit = session.scalar(select(Unit).where(Unit.name == name))
        if unit is None:
            unit = Unit(name=name, parent=parent)
            session.add(unit)
            session.flush()
        parent = unit
    if parent is None:
        raise ValueError("a unit needs a name")
    return parent


def find_unit(session: Session, name: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.name == " ".join(name.split())))


def ensure_kpi(session: Session, *, fiscal_year: int, unit: Unit, name: str) -> Kpi:
    found = session.scalar(
        select(Kpi).where(Kpi.fiscal_year == fiscal_year, Kpi.unit_id == unit.id, Kpi.name == name)
    )
    if found is None:
        found = Kpi(fiscal_year=fiscal_year, unit_id=unit.id, name=name)
        session.add(found)
        session.flush()
    return found


def start_import(session: Session, *, source_file: str, imported_by: str) -> PlanImport:
    record = PlanImport(source_file=source_file, imported_by=imported_by, imported_at=utcnow(), summary="[]")
    session.add(record)
    session.flush()
    return record


def existing_projects(session: Session, fiscal_year: int, unit: Unit) -> dict[str, Project]:
    rows = session.scalars(
        select(Project)
        .where(Project.fiscal_year == fiscal_year, Project.unit_id == unit.id)
        .options(selectinload(Project.steps))
    )
    return {project.key: project for project in rows}


def report_count(session: Session, project_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(ProgressReport.project_id == project_id)) or 0
    )


def save_project(
    session: Session,
    parsed: ParsedProject,
    *,
    unit: Unit,
    fiscal_year: int,
    import_record: PlanImport,
    existing: Project | None,
    force: bool = False,
) -> SaveOutcome:
    """Insert or update one validated project. Changing the steps of a project that
    already has reports is refused unless ``force``; old steps stay as history."""
    now = utcnow()
    kpi = ensure_kpi(session, fiscal_year=fiscal_year, unit=unit, name=parsed.kpi) if parsed.kpi else None
    warnings = json.dumps([problem_json(p) for p in parsed.warnings], ensure_ascii=False)
    if existing is None:
        project = Project(
            fiscal_year=fiscal_year,
            unit_id=unit.id,
            key=project_key(parsed.code, parsed.name),
            plan_version=1,
            created_at=now,
        )
        _fill(project, parsed, kpi, warnings, import_record, now)
        session.add(project)
        session.flush()
        _add_steps(session, project, parsed.steps)
        return SaveOutcome("imported", project, list(parsed.problems))
    steps_changed = _step_rows(existing.steps) != _step_rows_parsed(parsed.steps)
    before = _fields(existing)
    if steps_changed:
        reports = report_count(session, existing.id)
        if reports and not force and not _only_months_added(existing.steps, parsed.steps):
            refused = Problem(
                "error",
                "steps_locked_by_reports",
                f"โครงการนี้มีรายงานความก้าวหน้าแล้ว {reports} ครั้ง จึงไม่เปลี่ยนขั้นตอนให้ "
                "หากต้องการเปลี่ยนจริง ให้นำเข้าอีกครั้งพร้อม --force (ขั้นตอนเดิมจะเก็บไว้เป็นประวัติ)",
                f"the project already has {reports} progress report(s): its steps were not changed; "
                "import again with --force to replace them (the old steps stay in history)",
            )
            return SaveOutcome("rejected", existing, [*parsed.problems, refused])
        existing.plan_version += 1
        session.flush()
        _add_steps(session, existing, parsed.steps)
    updated_at = existing.updated_at
    _fill(existing, parsed, kpi, warnings, import_record, now)
    if not steps_changed and _fields(existing) == before:
        existing.updated_at = updated_at  # the same plan again: nothing to call an update
        session.flush()
        return SaveOutcome("unchanged", existing, list(parsed.problems))
    session.flush()
    session.expire(existing, ["steps"])
    return SaveOutcome("updated", existing, list(parsed.problems))


def _fields(project: Project) -> tuple[object, ...]:
    """What an import can change on a project besides its steps."""
    return (
        project.code, project.name, project.kpi_id, project.policy, project.budget,
        project.responsible, project.warnings, project.starts_on, project.ends_on,
    )  # fmt: skip


def _fill(
    project: Project, parsed: ParsedProject, kpi: Kpi | None, warnings: str, record: PlanImport, now: datetime
) -> None:
    months = sorted(m for step in parsed.steps for m in step.months)
    fiscal_year = parsed.fiscal_year or project.fiscal_year
    # The project runs from its first scheduled month to its last; without months, the fiscal year.
    project.starts_on = months[0].first_day if months else fiscal_start(fiscal_year)
    project.ends_on = months[-1].last_day if months else fiscal_end(fiscal_year)
    project.code = parsed.code
    project.name = parsed.name
    project.kpi_id = kpi.id if kpi else None
    project.policy = parsed.policy
    project.budget = parsed.budget
    project.responsible = parsed.responsible
    project.warnings = warnings
    project.import_id = record.id
    project.updated_at = now


def _add_steps(session: Session, project: Project, steps: Sequence[PlanStep]) -> None:
    session.add_all(
        Step(
            project_id=project.id,
            version=project.plan_version,
            position=position,
            no=step.no,
            title=step.title,
            weight=step.weight if step.weight is not None else Decimal(0),
            first_month=step.months[0].key if step.months else None,
            last_month=step.months[-1].key if step.months else None,
        )
        for position, step in enumerate(steps)
    )
    session.flush()


def _only_months_added(old: Sequence[Step], new: Sequence[PlanStep]) -> bool:
    """The same steps, with months now where there were none: filling in what the plan
    document lacked is no change to what the reports were made against."""
    before, after = _step_rows(old), _step_rows_parsed(new)
    return len(before) == len(after) and all(
        b[:3] == a[:3] and (b[3:] == a[3:] or b[3:] == (None, None)) for b, a in zip(before, after, strict=True)
    )


def _step_rows(steps: Iterable[Step]) -> list[tuple[str, str, Decimal, str | None, str | None]]:
    return [(s.no, s.title, Decimal(s.weight), s.first_month, s.last_month) for s in steps]


def _step_rows_parsed(steps: Iterable[PlanStep]) -> list[tuple[str, str, Decimal, str | None, str | None]]:
    return [
        (
            s.no,
            s.title,
            s.weight if s.weight is not None else Decimal(0),
            s.months[0].key if s.months else None,
            s.months[-1].key if s.months else None,
        )
        for s in steps
    ]


def plan_steps(steps: Iterable[Step]) -> list[PlanStep]:
    """Stored steps as the pure ``PlanStep`` the progress arithmetic works on."""
    out = []
    for step in steps:
        months = _span(step.first_month, step.last_month) if step.first_month and step.last_month else ()
        out.append(PlanStep(no=step.no, title=step.title, weight=Decimal(step.weight), months=months))
    return out


def stored_plan(project: Project) -> ParsedProject:
    """A stored project as the plan it was imported from (its current steps), for writing it
    back into the spreadsheet template."""
    return ParsedProject(
        name=project.name, code=project.code, kpi=project.kpi.name if project.kpi else None,
        policy=project.policy, unit=project.unit.path, fiscal_year=project.fiscal_year,
        budget=project.budget, responsible=project.responsible, steps=plan_steps(project.steps),
        declared_cumulative=[], declared_total=None, problems=[], source_line=0,
    )  # fmt: skip


@lru_cache(maxsize=4096)
def _span(first_key: str, last_key: str) -> tuple[YearMonth, ...]:
    """The months from one "YYYY-MM" to another; few distinct spans serve thousands of steps."""
    first, last = YearMonth.from_key(first_key), YearMonth.from_key(last_key)
    return tuple(YearMonth.from_ordinal(o) for o in range(first.ordinal, last.ordinal + 1))


def project_ids(session: Session, *, unit: str | None = None, fiscal_year: int | None = None) -> Select[Any] | None:
    """The ids of the projects of a unit (and the units inside it) and a fiscal year, as a
    query; None when no unit has that name."""
    query = select(Project.id)
    if fiscal_year is not None:
        query = query.where(Project.fiscal_year == fiscal_year)
    if unit is not None:
        found = find_unit(session, unit)
        if found is None:
            return None
        query = query.where(Project.unit_id.in_(unit_tree_ids(session, found.id)))
    return query


def list_projects(session: Session, *, unit: str | None = None, fiscal_year: int | None = None) -> list[Project]:
    query = select(Project).options(
        selectinload(Project.steps), selectinload(Project.unit), selectinload(Project.kpi)
    )
    if fiscal_year is not None:
        query = query.where(Project.fiscal_year == fiscal_year)
    if unit is not None:
        found = find_unit(session, unit)
        if found is None:
            return []
        query = query.where(Project.unit_id.in_(unit_tree_ids(session, found.id)))
    return list(session.scalars(query.order_by(Project.fiscal_year, Project.unit_id, Project.id)))


def unit_tree_ids(session: Session, unit_id: int) -> list[int]:
    """A unit and every unit inside it, at any depth."""
    ids, frontier = [unit_id], [unit_id]
    while frontier:
        frontier = list(session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids


def latest_reports(session: Session, project_ids: Sequence[int]) -> dict[int, ProgressReport]:
    if not project_ids:
        return {}
    newest = (
        select(ProgressReport.project_id, func.max(ProgressReport.number).label("number"))
        .where(ProgressReport.project_id.in_(project_ids))
        .group_by(ProgressReport.project_id)
        .subquery()
    )
    rows = session.scalars(
        select(ProgressReport).join(
            newest,
            (ProgressReport.project_id == newest.c.project_id) & (ProgressReport.number == newest.c.number),
        )
    )
    return {report.project_id: report for report in rows}


def problem_json(problem: Problem) -> dict[str, object]:
    return {
        "level": problem.level,
        "code": problem.code,
        "message_th": problem.message_th,
        "message_en": problem.message_en,
        "row": problem.row,
        "column": problem.column,
    }

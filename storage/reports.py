"""Repository functions for progress reports: numbering, saving, editing with history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.plan_models import ProgressReport, Project, ReportRevision
from storage.report_models import ReportDeletion


@dataclass(frozen=True)
class NewReport:
    project_id: int
    reported_on: date
    percent: Decimal
    planned_percent: Decimal | None
    completed: tuple[str, ...]
    in_progress: tuple[str, Decimal] | None
    work_done: str
    budget_disbursed: Decimal
    obstacles: str | None
    reason: str | None
    on_plan: bool | None
    on_target: bool | None
    reporter_user_id: str | None
    reporter_name: str | None
    chat_id: str | None
    extra_reason: str | None = None  # a second report in one month, and why


def lock_project(session: Session, project_id: int) -> Project:
    """Lock the project row: two people confirming at once get consecutive numbers."""
    project = session.get(Project, project_id, with_for_update=True, populate_existing=True)
    if project is None:
        raise LookupError(f"project {project_id} is gone")
    return project


def add_report(session: Session, new: NewReport) -> ProgressReport:
    project = lock_project(session, new.project_id)
    number = _last_number(session, project.id) + 1
    now = utcnow()
    report = ProgressReport(project_id=project.id, number=number, plan_version=project.plan_version,
                            created_at=now, updated_at=now, reported_on=new.reported_on,
                            reporter_user_id=new.reporter_user_id, reporter_name=new.reporter_name,
                            chat_id=new.chat_id)  # fmt: skip
    _fill(report, new)
    session.add(report)
    session.flush()
    return report


def edit_report(session: Session, number: int, new: NewReport, *, edited_by: str | None) -> ProgressReport:
    """Change a report's content; who reported it, when and where stay. The version it
    replaces is kept as a revision, with who changed it."""
    lock_project(session, new.project_id)
    report = session.scalar(
        select(ProgressReport).where(ProgressReport.project_id == new.project_id, ProgressReport.number == number)
    )
    if report is None:
        raise LookupError(f"report {number} of project {new.project_id} is gone")
    revisions = session.scalar(select(func.count()).where(ReportRevision.report_id == report.id)) or 0
    session.add(
        ReportRevision(
            report_id=report.id,
            revision=int(revisions) + 1,
            data=json.dumps(report_json(report), ensure_ascii=False),
            replaced_by=edited_by,
            replaced_at=utcnow(),
        )
    )
    _fill(report, new)
    report.updated_at = utcnow()
    session.flush()
    return report


def latest_report(session: Session, project_id: int) -> ProgressReport | None:
    return session.scalar(
        select(ProgressReport).where(ProgressReport.project_id == project_id).order_by(ProgressReport.number.desc()).limit(1)
    )


def disbursed_total(session: Session, project_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(ProgressReport.budget_disbursed), 0)).where(ProgressReport.project_id == project_id)
    )
    return Decimal(total or 0)


def step_progress(report: ProgressReport) -> tuple[tuple[str, ...], tuple[str, Decimal] | None, str | None]:
    """(completed step numbers, step in progress with its fraction, reason) of a report."""
    if not report.step_progress:
        return (), None, None
    data = json.loads(report.step_progress)
    in_progress = data.get("in_progress")
    return (
        tuple(data.get("completed", ())),
        None if not in_progress else (in_progress[0], Decimal(in_progress[1])),
        data.get("reason"),
    )


def report_json(report: ProgressReport) -> dict[str, Any]:
    return {
        "number": report.number,
        "reported_on": report.reported_on.isoformat(),
        "percent": str(report.percent),
        "planned_percent": None if report.planned_percent is None else str(report.planned_percent),
        "step_progress": report.step_progress,
        "work_done": report.work_done,
        "budget_disbursed": str(report.budget_disbursed),
        "obstacles": report.obstacles,
        "on_plan": report.on_plan,
        "on_target": report.on_target,
        "reporter_user_id": report.reporter_user_id,
        "reporter_name": report.reporter_name,
    }


def report_before(session: Session, project_id: int, number: int) -> ProgressReport | None:
    return session.scalar(
        select(ProgressReport).where(ProgressReport.project_id == project_id, ProgressReport.number == number - 1)
    )


def _fill(report: ProgressReport, new: NewReport) -> None:
    """The content of a report (not who, when or where: an edit keeps those)."""
    report.percent = new.percent
    report.planned_percent = new.planned_percent
    report.step_progress = json.dumps(
        {
            "completed": list(new.completed),
            "in_progress": None if new.in_progress is None else [new.in_progress[0], f"{new.in_progress[1].normalize():f}"],
            "reason": new.reason,
            **({"extra_reason": new.extra_reason} if new.extra_reason else {}),
        },
        ensure_ascii=False,
    )
    report.work_done = new.work_done
    report.budget_disbursed = new.budget_disbursed
    report.obstacles = new.obstacles
    report.on_plan = new.on_plan
    report.on_target = new.on_target


def _last_number(session: Session, project_id: int) -> int:
    """The highest number a report of the project ever had, deleted ones included: a
    number is never given twice."""
    kept = session.scalar(select(func.max(ProgressReport.number)).where(ProgressReport.project_id == project_id))
    gone = session.scalar(select(func.max(ReportDeletion.number)).where(ReportDeletion.project_id == project_id))
    return max(int(kept or 0), int(gone or 0))


def latest_between(session: Session, project_id: int, first: date, last: date) -> ProgressReport | None:
    """The project's latest report dated within [first, last] (a month, a fiscal year)."""
    return session.scalar(
        select(ProgressReport)
        .where(ProgressReport.project_id == project_id, ProgressReport.reported_on.between(first, last))
        .order_by(ProgressReport.number.desc())
        .limit(1)
    )


def reports_between(session: Session, project_id: int, first: date, last: date) -> list[ProgressReport]:
    """Newest first."""
    return list(
        session.scalars(
            select(ProgressReport)
            .where(ProgressReport.project_id == project_id, ProgressReport.reported_on.between(first, last))
            .order_by(ProgressReport.number.desc())
        )
    )


def delete_report(session: Session, project_id: int, number: int, *, by: str | None) -> ReportDeletion | None:
    """Take a mistaken report out of the project's reports. It stays in the audit history
    (with its revisions); its number is not given again. None when there is no such report."""
    lock_project(session, project_id)
    report = session.scalar(
        select(ProgressReport).where(ProgressReport.project_id == project_id, ProgressReport.number == number)
    )
    if report is None:
        return None
    revisions = session.scalars(
        select(ReportRevision).where(ReportRevision.report_id == report.id).order_by(ReportRevision.revision)
    )
    data = {**report_json(report), "chat_id": report.chat_id, "created_at": report.created_at.isoformat(),
            "revisions": [{"revision": r.revision, "data": json.loads(r.data), "replaced_by": r.replaced_by,
                           "replaced_at": r.replaced_at.isoformat()} for r in revisions]}  # fmt: skip
    deletion = ReportDeletion(project_id=project_id, number=number, data=json.dumps(data, ensure_ascii=False),
                              deleted_by=by, deleted_at=utcnow())  # fmt: skip
    session.add(deletion)
    session.delete(report)
    session.flush()
    return deletion

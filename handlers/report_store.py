"""What the report conversation needs from the database: the project as the flow sees
it, and saving the report (or files for it) in the event's transaction."""

from __future__ import annotations

import calendar
import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

from bot.events import IncomingEvent
from flows import report as flow
from flows import report_text as T
from flows.draft import Draft, MonthReport, ProjectView, StepView
from flows.replies import Say
from handlers.deps import Deps, viewer_of
from plans.fiscal import YearMonth, fiscal_end
from plans.model import PlanStep
from plans.progress import Status
from plans.standing import Standing, standing
from storage import access, attachments, reports
from storage.access_models import Person
from storage.plan_models import ProgressReport, Project
from storage.plans import plan_steps


def month_of(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_report(deps: Deps, project_id: int) -> MonthReport | None:
    found = reports.latest_between(deps.session, project_id, *month_of(deps.today))
    if found is None:
        return None
    return MonthReport(number=found.number, by=found.reporter_name, on=found.reported_on.isoformat(),
                       percent=Decimal(found.percent), completed=reports.step_progress(found)[0])  # fmt: skip


def load_project(event: IncomingEvent, deps: Deps, draft: Draft, project_id: int) -> flow.Outcome:
    project = deps.session.get(Project, project_id)
    if project is None or not access.can_see(deps.session, viewer_of(event), project_id):
        return flow.Outcome(None, (Say(T.PROJECT_GONE),))
    latest = reports.latest_report(deps.session, project_id)
    this_month = latest is not None and YearMonth.of(latest.reported_on) == YearMonth.of(deps.today)
    if draft.attach_only:
        if latest is None or not this_month:
            return flow.Outcome(None, (Say(T.NOTHING_TO_ATTACH.format(name=project.name)),))
        view = project_view(deps, project, latest, deps.today)
        return flow.loaded(draft.with_(edit_number=latest.number), view)
    if draft.mode != "edit":
        view = replace(project_view(deps, project, latest, deps.today), month_report=month_report(deps, project_id))
        return flow.loaded(draft, view)
    if latest is None or not this_month:
        return flow.Outcome(None, (Say(T.NOTHING_TO_EDIT.format(name=project.name)),))
    # The edited report is compared with the one before it, not with itself.
    before = reports.report_before(deps.session, project_id, latest.number)
    view = project_view(deps, project, before, latest.reported_on)
    view = replace(view, disbursed=view.disbursed - Decimal(latest.budget_disbursed))
    completed, in_progress, reason = reports.step_progress(latest)
    draft = draft.with_(edit_number=latest.number, percent=Decimal(latest.percent), completed=completed,
                        in_progress=in_progress, reason=reason, work_done=latest.work_done,
                        budget=Decimal(latest.budget_disbursed), obstacles=latest.obstacles,
                        percent_typed=in_progress is None and not completed)  # fmt: skip
    return flow.loaded(draft, view)


def project_view(deps: Deps, project: Project, last: ProgressReport | None, on: date) -> ProjectView:
    """The project as the conversation sees it, with ``last`` as the previous report."""
    steps = plan_steps(project.steps)
    return ProjectView(
        id=project.id,
        name=project.name,
        code=project.code,
        steps=tuple(StepView(s.no, s.title, Decimal(s.weight or 0), tuple(m.key for m in s.months)) for s in steps),
        planned_now=standing(steps, None, on).planned,
        last_number=last.number if last else 0,
        last_percent=Decimal(last.percent) if last else None,
        last_completed=reports.step_progress(last)[0] if last else (),
        budget=None if project.budget is None else Decimal(project.budget),
        disbursed=reports.disbursed_total(deps.session, project.id),
        plan_version=project.plan_version,
        tolerance=deps.settings.plan_tolerance,
    )


def save_report(event: IncomingEvent, deps: Deps, draft: Draft) -> str | flow.Outcome:
    """The saved report's message; or, when someone else saved this month's report while
    this one was being filled in, the conversation telling the person so."""
    view = draft.project
    assert view is not None and draft.percent is not None
    project = deps.session.get(Project, view.id)
    if project is None or not access.can_see(deps.session, viewer_of(event), view.id):
        return T.PROJECT_GONE
    if project.plan_version != view.plan_version:
        return T.PLAN_CHANGED
    reports.lock_project(deps.session, view.id)  # two people confirming at once: one after the other
    editing = draft.mode == "edit" and draft.edit_number is not None
    if not editing and draft.extra_reason is None:
        first = month_report(deps, view.id)
        if first is not None:
            return flow.overtaken(draft, first)
    steps = plan_steps(project.steps)
    edited = reports.latest_report(deps.session, view.id) if editing else None
    on = edited.reported_on if edited else deps.today
    where = standing(steps, draft.percent, on, tolerance=deps.settings.plan_tolerance)
    person = deps.session.get(Person, event.user_id) if event.user_id else None
    new = reports.NewReport(
        project_id=view.id,
        reported_on=on,
        percent=draft.percent,
        planned_percent=where.planned,
        completed=draft.completed,
        in_progress=None if draft.percent_typed else draft.in_progress,
        work_done=draft.work_done or "",
        budget_disbursed=draft.budget or Decimal(0),
        obstacles=draft.obstacles,
        reason=draft.reason,
        on_plan=None if where.status is Status.NO_PLAN else where.status is not Status.BEHIND,
        on_target=_on_target(steps, where, project.fiscal_year),
        reporter_user_id=event.user_id,
        reporter_name=person.display_name if person else None,
        chat_id=event.chat_id,
        extra_reason=draft.extra_reason,
    )
    if editing and draft.edit_number is not None:
        saved = reports.edit_report(deps.session, draft.edit_number, new, edited_by=event.user_id)
    else:
        saved = reports.add_report(deps.session, new)
    _attach(deps, view.id, saved.number, draft, event.user_id)
    return flow.saved_text(view.name, saved.number, draft.percent, where.status.label_th, edited=editing)


def save_attachments(event: IncomingEvent, deps: Deps, draft: Draft) -> str:
    assert draft.project is not None and draft.edit_number is not None
    added = _attach(deps, draft.project.id, draft.edit_number, draft, event.user_id)
    return T.ATTACHED.format(count=added, number=draft.edit_number, name=draft.project.name)


def _attach(deps: Deps, project_id: int, number: int, draft: Draft, by: str | None) -> int:
    files = [attachments.NewAttachment(a.key, a.name, a.content_type, a.size, a.message_id) for a in draft.attachments]
    return attachments.add_attachments(deps.session, project_id, number, files, by=by) if files else 0


def _on_target(steps: list[PlanStep], where: Standing, fiscal_year: int) -> bool | None:
    """On target: the work can still be finished within the fiscal year. Behind plan by
    m months, the last planned month moves m months later; it must stay in the year."""
    if where.status is Status.NO_PLAN or where.months is None:
        return None
    if where.status is not Status.BEHIND or where.actual >= 100:
        return True
    last = max((m for s in steps for m in s.months), default=None)
    if last is None:
        return None
    finish = last.ordinal + math.ceil(abs(where.months))
    return finish <= YearMonth.of(fiscal_end(fiscal_year)).ordinal

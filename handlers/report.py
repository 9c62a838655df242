"""Use case: the monthly progress report, a conversation per person per chat.

The conversation itself is the pure machine in flows/report.py; this module
loads what it needs, keeps its draft in the state store (Redis or SQL) between
messages, and saves the report in the event's transaction.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import parse_qs

from bot.cards import summary_card
from bot.events import IncomingEvent
from bot.render import text
from flows import report as flow
from flows import report_text as T
from flows.draft import Choice, Draft, ProjectView, StepView
from flows.replies import Reply, Say, SummaryCard
from flows.report_input import Input, match_choices, shortcut
from handlers.commands import EDIT_REPORT, REPORT
from handlers.deps import Deps, Message, viewer_of
from handlers.queries import current_year_projects
from plans.fiscal import YearMonth, fiscal_end
from plans.model import PlanStep
from plans.progress import Status
from plans.standing import Standing, standing
from storage import access, reports
from storage.access_models import Person
from storage.plan_models import ProgressReport, Project
from storage.plans import plan_steps

log = logging.getLogger(__name__)
KEEP_DRAFTS = 24 * 3600  # an abandoned draft can be resumed for a day


def conversation_key(event: IncomingEvent) -> str:
    return f"report:{event.chat_id}:{event.user_id}"


def active_draft(event: IncomingEvent, deps: Deps) -> Draft | None:
    if not event.user_id:
        return None
    raw = deps.state.get(conversation_key(event))
    if not raw:
        return None
    try:
        draft = Draft.from_json(raw)
    except (TypeError, KeyError, ValueError):
        draft = None
    if draft is None or draft.state not in flow.STATES:  # saved by an older version of the bot
        log.warning("unreadable report draft for %s dropped", conversation_key(event))
        deps.state.delete(conversation_key(event))
        return None
    return draft


def handle_report(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """รายงาน [project] [percent% text]."""
    return _begin(event, deps, REPORT.argument(event), edit=False)


def handle_edit(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """แก้ไขรายงาน [project]: change this month's last report."""
    return _begin(event, deps, EDIT_REPORT.argument(event), edit=True)


def handle_report_button(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """A "รายงาน" button carrying its project (a reminder's), or an old button of a
    conversation that is over."""
    data = _postback(event)
    if data.get("a") == "start":
        project = data.get("p", "")
        return _begin(event, deps, f"#{project}" if project.isdigit() else "", edit=False)
    return [text(T.BUTTON_OF_ENDED)]


def handle_conversation(event: IncomingEvent, deps: Deps, draft: Draft) -> Sequence[Message]:
    """A message or button from someone in the middle of a report."""
    if event.type == "message" and event.message_type != "text":
        return [] if event.in_group else _render([Say(T.NOT_TEXT), *flow.prompt(draft)])
    data = _postback(event) if event.type == "postback" else {}
    if data.get("a") == "start":  # a reminder's button: start again on its project
        return handle_report_button(event, deps)
    given = Input(text=event.text or "", action=data.get("a"), value=data.get("v"), nonce=data.get("n"))
    idle = (deps.now - datetime.fromisoformat(draft.updated_at)).total_seconds()
    word = given.action or given.word
    timed_out = idle > deps.settings.conversation_ttl_seconds and draft.state != "resume"
    if timed_out and word not in T.CANCEL_WORDS | T.HELP_WORDS:
        outcome = flow.expire(draft, minutes=max(1, deps.settings.conversation_ttl_seconds // 60))
    else:
        outcome = flow.step(draft, given)
    return _run(event, deps, outcome)


def _begin(event: IncomingEvent, deps: Deps, argument: str, *, edit: bool) -> Sequence[Message]:
    if not event.user_id:
        return [text(T.NO_SENDER)]
    projects = current_year_projects(access.visible_projects(deps.session, viewer_of(event)), deps.today)
    choices = [Choice(p.id, p.name, p.code) for p in projects]
    if event.in_group and argument and not event.mentions_bot and not _names_a_project(argument, choices):
        return []  # "รายงาน ผลการประชุมเมื่อวาน" in a busy group is chatter, not a command
    now = deps.now.isoformat()
    draft = Draft(nonce=secrets.token_hex(4), state="choose", started_at=now, updated_at=now,
                  edit_report=0 if edit else None, in_group=event.in_group)  # fmt: skip
    return _run(event, deps, flow.start(draft, choices, argument))


def _names_a_project(argument: str, choices: Sequence[Choice]) -> bool:
    quick = shortcut(argument)
    return bool(match_choices(quick.project if quick else argument, choices))


def _run(event: IncomingEvent, deps: Deps, outcome: flow.Outcome) -> Sequence[Message]:
    replies: list[Reply] = []
    for _ in range(3):  # a Load leads to one more outcome
        replies.extend(outcome.replies)
        effect = outcome.effect
        if isinstance(effect, flow.Load):
            assert outcome.draft is not None
            outcome = _load(event, deps, outcome.draft, effect.project_id)
            continue
        if isinstance(effect, flow.Save):
            replies.append(Say(_save(event, deps, effect.draft)))
            deps.state.delete(conversation_key(event))
            return _render(replies)
        break
    if outcome.draft is None:
        deps.state.delete(conversation_key(event))
    else:
        kept = outcome.draft.with_(updated_at=deps.now.isoformat())
        deps.state.set(conversation_key(event), kept.to_json(), ttl=KEEP_DRAFTS)
    return _render(replies)


def _load(event: IncomingEvent, deps: Deps, draft: Draft, project_id: int) -> flow.Outcome:
    project = deps.session.get(Project, project_id)
    if project is None or not access.can_see(deps.session, viewer_of(event), project_id):
        return flow.Outcome(None, (Say(T.PROJECT_GONE),))
    latest = reports.latest_report(deps.session, project_id)
    if draft.edit_report is None:
        return flow.loaded(draft, project_view(deps, project, latest, deps.today))
    if latest is None or YearMonth.of(latest.reported_on) != YearMonth.of(deps.today):
        return flow.Outcome(None, (Say(T.NOTHING_TO_EDIT.format(name=project.name)),))
    # The edited report is compared with the one before it, not with itself.
    before = reports.report_before(deps.session, project_id, latest.number)
    view = project_view(deps, project, before, latest.reported_on)
    view = replace(view, disbursed=view.disbursed - Decimal(latest.budget_disbursed))
    completed, in_progress, reason = reports.step_progress(latest)
    draft = draft.with_(edit_report=latest.number, percent=Decimal(latest.percent), completed=completed,
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


def _save(event: IncomingEvent, deps: Deps, draft: Draft) -> str:
    view = draft.project
    assert view is not None and draft.percent is not None
    project = deps.session.get(Project, view.id)
    if project is None or not access.can_see(deps.session, viewer_of(event), view.id):
        return T.PROJECT_GONE
    if project.plan_version != view.plan_version:
        return T.PLAN_CHANGED
    steps = plan_steps(project.steps)
    edited = reports.latest_report(deps.session, view.id) if draft.edit_report else None
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
    )
    if draft.edit_report:
        saved = reports.edit_report(deps.session, draft.edit_report, new, edited_by=event.user_id)
    else:
        saved = reports.add_report(deps.session, new)
    return flow.saved_text(view.name, saved.number, draft.percent, where.status.label_th, edited=bool(draft.edit_report))


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


def _postback(event: IncomingEvent) -> dict[str, str]:
    data = parse_qs(event.postback_data or "")
    return {key: values[0] for key, values in data.items()}


def is_report_button(event: IncomingEvent) -> bool:
    return event.type == "postback" and _postback(event).get("kaona") == "report"


def _render(replies: Sequence[Reply]) -> list[Message]:
    messages = [summary_card(r) if isinstance(r, SummaryCard) else text(r.text, r.buttons) for r in replies]
    return messages[-5:]  # LINE takes five at most: the last ones carry the question

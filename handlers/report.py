"""Use case: the monthly progress report, a conversation per person per chat.

The conversation itself is the pure machine in flows/report.py; this module
loads what it needs, keeps its draft in the state store (Redis or SQL) between
messages, and saves the report in the event's transaction.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs

from bot.cards import summary_card
from bot.events import IncomingEvent
from bot.fiscal import YearMonth, fiscal_end
from bot.plans.model import PlanStep
from bot.progress import Status
from bot.render import text
from bot.standing import Standing, standing
from flows import report as flow
from flows import report_text as T
from flows.draft import Choice, Draft, ProjectView, StepView
from flows.report_card import Say, SummaryCard
from handlers.commands import EDIT_REPORT, REPORT
from handlers.deps import Deps, Message, viewer_of
from storage import access, reports
from storage.access_models import Person
from storage.plan_models import Project
from storage.plans import plan_steps

KEEP_DRAFTS = 24 * 3600  # an abandoned draft can be resumed for a day


def conversation_key(event: IncomingEvent) -> str:
    return f"report:{event.chat_id}:{event.user_id}"


def active_draft(event: IncomingEvent, deps: Deps) -> Draft | None:
    if not event.user_id:
        return None
    raw = deps.state.get(conversation_key(event))
    return Draft.from_json(raw) if raw else None


def handle_report(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """รายงาน [project] [percent% text]."""
    return _begin(event, deps, REPORT.argument(event), edit=False)


def handle_report_button(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """A "รายงาน" button (a reminder's, carrying the project), or an old button of a
    conversation that is over."""
    data = _postback(event)
    if data.get("a") == "start":
        project = data.get("p", "")
        return _begin(event, deps, f"#{project}" if project.isdigit() else "", edit=False)
    return [text(T.BUTTON_OF_ENDED)]


def handle_edit(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """แก้ไขรายงาน [project]: change this month's last report."""
    return _begin(event, deps, EDIT_REPORT.argument(event), edit=True)


def handle_conversation(event: IncomingEvent, deps: Deps, draft: Draft) -> Sequence[Message]:
    """A message or button from someone in the middle of a report."""
    if event.type == "message" and event.message_type != "text":
        return _render([Say("กรุณาตอบเป็นข้อความ"), *flow.prompt(draft)])
    data = _postback(event) if event.type == "postback" else {}
    given = flow.Input(text=event.text or "", action=data.get("a"), nonce=data.get("n"))
    idle = (deps.now - datetime.fromisoformat(draft.updated_at)).total_seconds()
    if idle > deps.settings.conversation_ttl_seconds and draft.state != "resume":
        outcome = flow.expire(draft, minutes=deps.settings.conversation_ttl_seconds // 60)
    else:
        outcome = flow.step(draft, given)
    return _run(event, deps, outcome)


def _begin(event: IncomingEvent, deps: Deps, argument: str, *, edit: bool) -> Sequence[Message]:
    if not event.user_id:
        return [text("ขออภัย ก้าวหน้าไม่เห็นผู้ส่งข้อความนี้ จึงรับรายงานไม่ได้ กรุณาใช้ LINE บนโทรศัพท์หรือคอมพิวเตอร์")]
    projects = access.visible_projects(deps.session, viewer_of(event))
    choices = [Choice(p.id, p.name, p.code) for p in projects]
    now = deps.now.isoformat()
    draft = Draft(nonce=secrets.token_hex(4), state="choose", started_at=now, updated_at=now,
                  edit_report=0 if edit else None)  # fmt: skip
    return _run(event, deps, flow.start(draft, choices, argument, in_group=event.in_group))


def _run(event: IncomingEvent, deps: Deps, outcome: flow.Outcome) -> Sequence[Message]:
    replies: list[Say | SummaryCard] = []
    for _ in range(3):  # Load leads to at most one more outcome
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
        return flow.Outcome(None, (Say(T.CHOOSE_NONE.format(query=f"#{project_id}")),))
    view = project_view(deps, project)
    if draft.edit_report is not None:
        last = reports.latest_report(deps.session, project_id)
        if last is None or YearMonth.of(last.reported_on) != YearMonth.of(deps.today):
            return flow.Outcome(None, (Say(T.NOTHING_TO_EDIT.format(name=project.name)),))
        completed, in_progress, reason = reports.step_progress(last)
        # The edited report is compared with the one before it, and its money with what was left before it.
        view = ProjectView(**{**view.__dict__, "last_number": last.number - 1,
                              "disbursed": view.disbursed - Decimal(last.budget_disbursed)})  # fmt: skip
        draft = draft.with_(edit_report=last.number, percent=Decimal(last.percent), completed=completed,
                            in_progress=in_progress, reason=reason, work_done=last.work_done,
                            budget=Decimal(last.budget_disbursed), obstacles=last.obstacles,
                            percent_typed=not completed and in_progress is None)  # fmt: skip
    return flow.loaded(draft, view)


def project_view(deps: Deps, project: Project) -> ProjectView:
    steps = plan_steps(project.steps)
    last = reports.latest_report(deps.session, project.id)
    where = standing(steps, None, deps.today)
    completed = reports.step_progress(last)[0] if last else ()
    return ProjectView(
        id=project.id,
        name=project.name,
        code=project.code,
        steps=tuple(StepView(s.no, s.title, Decimal(s.weight or 0), tuple(m.key for m in s.months)) for s in steps),
        planned_now=where.planned,
        last_number=last.number if last else 0,
        last_percent=Decimal(last.percent) if last else None,
        last_completed=completed,
        budget=None if project.budget is None else Decimal(project.budget),
        disbursed=reports.disbursed_total(deps.session, project.id),
    )


def _save(event: IncomingEvent, deps: Deps, draft: Draft) -> str:
    view = draft.project
    assert view is not None and draft.percent is not None
    project = deps.session.get(Project, view.id)
    assert project is not None
    steps = plan_steps(project.steps)
    where = standing(steps, draft.percent, deps.today)
    person = deps.session.get(Person, event.user_id) if event.user_id else None
    new = reports.NewReport(
        project_id=view.id,
        reported_on=deps.today,
        percent=draft.percent,
        planned_percent=where.planned,
        completed=() if draft.percent_typed else draft.completed,
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
    return flow.saved_text(view.name, saved.number, draft.percent, where.planned, edited=bool(draft.edit_report))


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


def _render(replies: Sequence[Say | SummaryCard]) -> list[Message]:
    messages: list[Message] = []
    for reply in replies:
        if isinstance(reply, SummaryCard):
            messages.append(summary_card(reply))
        else:
            messages.append(text(reply.text, reply.buttons))
    if len(messages) > 5:  # LINE takes five at most: keep the last ones, they carry the question
        messages = messages[-5:]
    return messages


"""Planning a reminder run: what is due at a moment, built into messages, with its
cost, and nothing claimed or sent (``kaona remind --dry-run`` stops here)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.reminder_cards import digest_messages, new_reports_message, reminder_messages
from bot.services import Services
from handlers.summary import summary_text, unit_summary
from plans.errors import LineApiError
from plans.fiscal import YearMonth
from plans.reminders import Decision, RunPlan, Send, plan_groups, without_claimed
from plans.schedule import WorkingDays, around, digest_occasion, latest_due
from storage import reminders as repo
from storage.access import Viewer, coordinated_project_ids

log = logging.getLogger(__name__)
Message = dict[str, Any]
Builder = Callable[[Send], list[Message]]


@dataclass
class Planned:
    send: Send
    cost: int
    build: Builder
    messages: list[Message] = field(default_factory=list)
    project_ids: tuple[int, ...] = ()
    units: tuple[int, ...] = ()  # whose coordinators hear when it is skipped

    def describe(self) -> str:
        names = ", ".join(i.project.name[:40] for i in self.send.items[:5])
        where = "กลุ่ม" if self.send.scope == "group" else "ถึง"
        return f"{self.send.kind} {where} {self.send.target}" + (f": {names}" if names else "")


@dataclass
class RunPlanned:
    at: datetime
    planned: list[Planned]
    decisions: list[Decision]
    dropped: list[tuple[str, str, str, str]]  # ledger keys of occasions missed past the grace window


def _deadline(services: Services, send: Send, schedules: dict[int, Any]) -> int:
    days = [schedules[i.project.id].deadline_day for i in send.items if i.project.id in schedules]
    return min(days) if days else services.settings.deadline_day


def plan_reminders(services: Services, session: Session, at: datetime) -> tuple[list[Planned], RunPlan]:
    settings = services.settings
    groups, projects = repo.group_facts(session)
    schedules = repo.project_schedules(session, [(p.id, p.unit_id) for p in projects.values()], settings.schedule)
    days = WorkingDays(repo.extra_holidays(session))
    plan = plan_groups(groups, schedules, now=at, tz=settings.tz, days=days,
                       grace=timedelta(hours=settings.reminder_grace_hours), friends=repo.friends(session),
                       default=settings.schedule)  # fmt: skip
    members = {g.group_id: len(g.members) for g in groups}
    today = at.astimezone(settings.tz).date()

    def builder(send: Send) -> list[Message]:
        return reminder_messages(send.kind, send.items, send.mentions, month=send.month,
                                 deadline=_deadline(services, send, schedules), today=today,
                                 direct=send.scope.startswith("dm:"))  # fmt: skip

    out = [
        Planned(send, members.get(send.target, 1) if send.scope == "group" else 1, builder,
                project_ids=tuple(i.project.id for i in send.items),
                units=tuple(sorted({i.project.unit_id for i in send.items})))  # fmt: skip
        for send in plan.sends
    ]
    return out, plan


def plan_digests(services: Services, session: Session, at: datetime) -> list[Planned]:
    settings = services.settings
    units = repo.unit_schedules(session, settings.schedule)
    days = WorkingDays(repo.extra_holidays(session))
    grace = timedelta(hours=settings.reminder_grace_hours)
    today = at.astimezone(settings.tz).date()
    out: list[Planned] = []
    for user_id, unit_ids in repo.coordinators(session).items():
        schedule = units.get(unit_ids[0], settings.schedule)
        due = latest_due([digest_occasion(schedule, m, days, settings.tz) for m in around(at, settings.tz)], at, grace)
        if due.occasion is None:
            continue
        summary = unit_summary(session, Viewer("user", user_id, user_id), today, tolerance=settings.plan_tolerance)
        if summary is None or not summary.projects:
            continue
        late = list(dict.fromkeys((p.id, p.name) for p in [*summary.missing, *summary.behind]))
        messages = digest_messages(summary_text(summary), late)
        send = Send(user_id, "digest", "digest", due.occasion.month, (due.occasion.key,))
        out.append(Planned(send, 1, _fixed(messages), messages, units=tuple(unit_ids)))
    return out


def plan_new_reports(services: Services, session: Session, at: datetime) -> list[Planned]:
    """At most one push a day per coordinator who asked: the reports saved that day."""
    settings = services.settings
    local = at.astimezone(settings.tz)
    moment = datetime.combine(local.date(), settings.new_reports_time, tzinfo=settings.tz)
    if not moment <= at <= moment + timedelta(hours=settings.reminder_grace_hours):
        return []
    out: list[Planned] = []
    for user_id in repo.new_report_subscribers(session):
        ids = coordinated_project_ids(session, user_id)
        found = repo.reports_of_day(session, sorted(ids), local.date())
        if not found:
            continue
        names = {p.id: p.name for p in repo.load_projects(session, {r.project_id for r in found})}
        rows = [(r.reporter_name or "-", names.get(r.project_id, "-"), r.percent) for r in found]
        message = new_reports_message(rows, local.date())
        send = Send(user_id, "newreports", "newreports", YearMonth.of(local.date()), (f"newreports@{local.date()}",))
        out.append(Planned(send, 1, _fixed([message]), [message]))
    return out


def _fixed(messages: list[Message]) -> Builder:
    return lambda _send: messages


def plan_run(services: Services, at: datetime, *, kinds: tuple[str, ...] = ("remind", "digest", "newreports")) -> RunPlanned:
    """Everything due at ``at`` that the ledger does not have yet, with messages and costs."""
    with services.sessions() as session:
        planned: list[Planned] = []
        decisions: list[Decision] = []
        dropped: list[tuple[str, str, str, str]] = []
        if "remind" in kinds:
            reminders, plan = plan_reminders(services, session, at)
            planned += reminders
            decisions = plan.decisions
            dropped = sorted({(target, "group", o.month.key, o.key) for target, o in plan.dropped})
        if "digest" in kinds:
            planned += plan_digests(services, session, at)
        if "newreports" in kinds:
            planned += plan_new_reports(services, session, at)
        months = {p.send.month.key for p in planned} | {key[2] for key in dropped}
        claimed = repo.claimed_keys(session, months) if months else set()
    handled = {(t.removeprefix("dm:") if s.startswith("dm:") else t, m, o) for t, s, m, o in claimed}
    handled |= {(s.removeprefix("dm:"), m, o) for _t, s, m, o in claimed if s.startswith("dm:")}
    dropped = [k for k in dropped if (k[0], k[2], k[3]) not in handled]
    fresh: list[Planned] = []
    for p in planned:
        left = without_claimed(p.send, claimed)
        if left is None:
            continue
        if left is not p.send or not p.messages:
            p.send, p.messages = left, p.build(left)
        fresh.append(p)
    return RunPlanned(at, fresh, decisions, dropped)


def member_counts(services: Services, planned: list[Planned]) -> None:
    """A group push costs its member count: ask LINE (several at once); the members
    the bot has seen stand in when LINE does not answer."""
    if not planned:
        return

    def count(p: Planned) -> None:
        try:
            p.cost = services.gateway.group_member_count(p.send.target)
        except LineApiError as exc:
            log.warning("member count of %s unknown (%s); using the %d seen", p.send.target, exc, p.cost)

    with ThreadPoolExecutor(max_workers=min(16, len(planned))) as pool:
        list(pool.map(count, planned))

"""What this month costs in LINE's quota: used so far, what the rest of the schedule
will cost (member counts x messages), and what the naive design would have cost.

The forecast replays the month's remaining occasions with today's facts: projects
that have reported are not reminded again, so the figure is an upper bound that
falls as reports arrive. The naive design sends one push per project into each
of its groups on every reminder and follow-up day, reported or not, and one
digest per unit to each coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services import Services
from plans.errors import LineApiError
from plans.fiscal import YearMonth
from plans.reminders import exclusion, plan_groups
from plans.schedule import WorkingDays, digest_occasion, reminder_occasions
from storage import reminders as repo


@dataclass(frozen=True)
class Forecast:
    month: str
    used: int  # LINE's consumption this month
    limit: int | None
    forecast: int  # the rest of this month's schedule
    naive: int  # the whole month, one push per project
    design: int  # the whole month as this bot sends it: scheduled so far + forecast

    def to_json(self) -> dict[str, object]:
        return {"month": self.month, "used": self.used, "forecast": self.forecast, "naive": self.naive,
                "limit": self.limit, "design_month_total": self.design}  # fmt: skip


def forecast(services: Services, now: datetime) -> Forecast:
    settings = services.settings
    tz = settings.tz
    month = YearMonth.of(now.astimezone(tz).date())
    with services.sessions() as session:
        groups, projects = repo.group_facts(session)
        schedules = repo.project_schedules(session, [(p.id, p.unit_id) for p in projects.values()], settings.schedule)
        units = repo.unit_schedules(session, settings.schedule)
        days = WorkingDays(repo.extra_holidays(session))
        friends = repo.friends(session)
        coordinators = repo.coordinators(session)
        subscribers = repo.new_report_subscribers(session)
        queued = {r.outbox_id: r.cost for r in repo.ledger_rows(session, month.key) if r.status == "queued"}
        spent = sum(queued.values())
    counts = {g.group_id: _members(services, g.group_id, len(g.members)) for g in groups if g.active}
    end = datetime.combine(month.last_day, datetime.max.time(), tzinfo=tz)
    moments = sorted({o.at for s in {*schedules.values(), settings.schedule} for o in reminder_occasions(s, month, days, tz)})
    rest = 0
    for at in (m for m in moments if now < m <= end):
        plan = plan_groups(groups, schedules, now=at, tz=tz, days=days, grace=timedelta(minutes=1), friends=friends,
                           default=settings.schedule)  # fmt: skip
        rest += sum(counts.get(s.target, 0) if s.scope == "group" else 1 for s in plan.sends)
    for _user, unit_ids in coordinators.items():
        if now < digest_occasion(units.get(unit_ids[0], settings.schedule), month, days, tz).at <= end:
            rest += 1
    rest += len(subscribers) * max(0, (month.last_day - now.astimezone(tz).date()).days)
    naive = 0
    for group in groups:
        if not group.active:
            continue
        for project in group.projects:
            schedule = schedules.get(project.id, settings.schedule)
            if exclusion(project, month) in (None, f"reported for {month.key}"):
                naive += counts.get(group.group_id, 0) * len(reminder_occasions(schedule, month, days, tz))
    naive += sum(len(unit_ids) for unit_ids in coordinators.values())
    try:
        quota = services.gateway.quota()
        used, limit = quota.used, quota.limit
    except LineApiError:
        used, limit = spent, None
    return Forecast(month.key, used, limit, rest, naive, spent + rest)


def _members(services: Services, group_id: str, seen: int) -> int:
    try:
        return services.gateway.group_member_count(group_id)
    except LineApiError:
        return seen

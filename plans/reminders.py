"""What a reminder run must send: pure, from plain facts about groups, projects and people.

A project must report for every month from its first planned month (the start
of its fiscal year when the plan has no months) to its last (the end of the
fiscal year), until it reaches 100%. On its occasion (plans/schedule.py) a
project that has not reported for the occasion's month is listed:

- the first reminder goes into each bound group: ONE message per group per run,
  listing every such project of the group, mentioning the last reporters who are
  still members (at most 20);
- a follow-up goes one-to-one to the project's last reporter when that person is
  a friend of the bot (cost 1), and into the group otherwise;
- nothing goes to a group the bot has left, or for a project reported, finished,
  outside its months or outside its fiscal year.

Each ``Send`` carries the ledger keys of the occasions it covers: the caller
claims them (unique in the database) before sending, so each is sent once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from plans.fiscal import YearMonth, fiscal_months
from plans.model import PlanStep
from plans.schedule import Occasion, Schedule, WorkingDays, around, latest_due, reminder_occasions

HUNDRED = Decimal(100)
MAX_MENTIONS = 20
# Send kinds in the order the quota guard keeps them when the quota is short.
DEFAULT_SCHEDULE = Schedule()
PRIORITY = {"digest": 0, "reminder": 1, "followup": 2, "newreports": 3}


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    name: str
    fiscal_year: int
    steps: tuple[PlanStep, ...]
    actual: Decimal | None  # latest reported percent
    last_report_month: YearMonth | None
    last_reporters: tuple[str, ...] = ()  # who reported it last time (user ids)
    unit_id: int = 0

    @property
    def months(self) -> tuple[YearMonth, YearMonth]:
        """First and last month it must report for."""
        planned = [m for s in self.steps for m in s.months]
        year = fiscal_months(self.fiscal_year)
        if not planned:
            return year[0], year[-1]
        return min(planned), max(planned)


def exclusion(project: ProjectFacts, month: YearMonth) -> str | None:
    """Why the project need not report for ``month`` (None: it must)."""
    first, last = project.months
    if project.actual is not None and project.actual >= HUNDRED:
        return "finished (100%)"
    if month not in fiscal_months(project.fiscal_year):
        return f"outside fiscal year {project.fiscal_year}"
    if not first <= month <= last:
        return f"outside its months {first.key}..{last.key}"
    if project.last_report_month == month:
        return f"reported for {month.key}"
    return None


@dataclass(frozen=True)
class GroupFacts:
    group_id: str
    active: bool
    members: frozenset[str]
    projects: tuple[ProjectFacts, ...]


@dataclass(frozen=True)
class Item:
    project: ProjectFacts
    occasion: Occasion


@dataclass(frozen=True)
class Send:
    """One message to one chat, covering the ledger keys of its occasions."""

    target: str
    scope: str  # "group" | "dm:<group id>" | "digest" | "newreports" | "notice"
    kind: str  # "reminder" | "followup" | "digest" | "newreports" | "notice"
    month: YearMonth
    keys: tuple[str, ...]
    items: tuple[Item, ...] = ()
    mentions: tuple[str, ...] = ()
    about_group: str | None = None

    @property
    def priority(self) -> int:
        return PRIORITY.get(self.kind, 9)

    @property
    def ledger(self) -> list[tuple[str, str, str, str]]:
        return [(self.target, self.scope, self.month.key, key) for key in self.keys]


@dataclass(frozen=True)
class Decision:
    """Why a project is in or out of this run (for ``kaona remind --dry-run``)."""

    group_id: str
    project_id: int
    name: str
    verdict: str  # "in" | "out"
    why: str


@dataclass
class RunPlan:
    sends: list[Send] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    dropped: list[tuple[str, Occasion]] = field(default_factory=list)  # (target, occasion)


def plan_group(
    group: GroupFacts,
    schedules: Mapping[int, Schedule],
    *,
    now: datetime,
    tz: ZoneInfo,
    days: WorkingDays,
    grace: timedelta,
    friends: frozenset[str],
    default: Schedule = DEFAULT_SCHEDULE,
) -> RunPlan:
    plan = RunPlan()
    due: list[Item] = []
    for project in group.projects:
        def out(why: str, project: ProjectFacts = project) -> None:
            plan.decisions.append(Decision(group.group_id, project.id, project.name, "out", why))

        if not group.active:
            out("the bot has left the group")
            continue
        schedule = schedules.get(project.id, default)
        occasions = [o for m in around(now, tz) for o in reminder_occasions(schedule, m, days, tz)]
        found = latest_due(occasions, now, grace)
        if found.occasion is None:
            missed = found.dropped[0] if found.dropped else None
            if missed is not None and exclusion(project, missed.month) is None:
                plan.dropped.append((group.group_id, missed))
                out(f"missed {missed.key}: past the grace window")
            else:
                out("no reminder due now")
            continue
        why = exclusion(project, found.occasion.month)
        if why:
            out(why)
            continue
        due.append(Item(project, found.occasion))
        plan.decisions.append(Decision(group.group_id, project.id, project.name, "in", found.occasion.key))
    in_group: list[Item] = []
    by_person: dict[str, list[Item]] = {}
    for item in due:
        reporter = next((u for u in item.project.last_reporters if u in friends), None)
        if item.occasion.kind == "followup" and reporter is not None:
            by_person.setdefault(reporter, []).append(item)
        else:
            in_group.append(item)
    if in_group:
        plan.sends.append(_group_send(group, in_group))
    for person, items in by_person.items():
        plan.sends.append(_send(person, f"dm:{group.group_id}", "followup", items, about=group.group_id))
    return plan


def _group_send(group: GroupFacts, items: list[Item]) -> Send:
    kind = "reminder" if any(i.occasion.kind == "reminder" for i in items) else "followup"
    mentions = tuple(dict.fromkeys(u for i in items for u in i.project.last_reporters if u in group.members))
    return _send(group.group_id, "group", kind, items, mentions=mentions[:MAX_MENTIONS], about=group.group_id)


def _send(target: str, scope: str, kind: str, items: list[Item], *, mentions: tuple[str, ...] = (),
          about: str | None = None) -> Send:  # fmt: skip
    keys = tuple(sorted({i.occasion.key for i in items}))
    month = max(i.occasion.month for i in items)
    return Send(target, scope, kind, month, keys, tuple(items), mentions, about)


def plan_groups(
    groups: Iterable[GroupFacts],
    schedules: Mapping[int, Schedule],
    *,
    now: datetime,
    tz: ZoneInfo,
    days: WorkingDays,
    grace: timedelta,
    friends: frozenset[str],
    default: Schedule = DEFAULT_SCHEDULE,
) -> RunPlan:
    total = RunPlan()
    for group in groups:
        plan = plan_group(group, schedules, now=now, tz=tz, days=days, grace=grace, friends=friends, default=default)
        total.sends += plan.sends
        total.decisions += plan.decisions
        total.dropped += plan.dropped
    return total


def without_claimed(send: Send, claimed: set[tuple[str, str, str, str]]) -> Send | None:
    """The send less the occasions already in the ledger (None when nothing is left)."""
    keys = tuple(k for k in send.keys if (send.target, send.scope, send.month.key, k) not in claimed)
    if keys == send.keys:
        return send
    if not keys:
        return None
    items = tuple(i for i in send.items if i.occasion.key in keys) if send.items else ()
    if send.items and not items:
        return None
    return Send(send.target, send.scope, send.kind, send.month, keys, items, send.mentions, send.about_group)


@dataclass(frozen=True)
class Budget:
    kept: tuple[Send, ...]
    skipped: tuple[Send, ...]


def fit_quota(sends: Sequence[tuple[Send, int]], left: int | None, *, reserve: int = 0) -> Budget:
    """Keep sends in priority order (digests, first reminders, follow-ups, new-report
    notices) while their cost fits in what is left less ``reserve``; stop at the first
    that does not fit: everything after it is skipped. ``left`` None: no limit."""
    ordered = sorted(sends, key=lambda pair: pair[0].priority)
    if left is None:
        return Budget(tuple(s for s, _ in ordered), ())
    kept: list[Send] = []
    spent = 0
    for n, (send, cost) in enumerate(ordered):
        if spent + cost > left - reserve:
            return Budget(tuple(kept), tuple(s for s, _ in ordered[n:]))
        kept.append(send)
        spent += cost
    return Budget(tuple(kept), ())

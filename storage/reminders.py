"""Repository functions of the reminder clock: schedules, days off, the send ledger,
new-report preferences, and the facts a run is planned from (plain domain data)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from plans.fiscal import YearMonth
from plans.reminders import GroupFacts, ProjectFacts
from plans.schedule import Schedule, format_days, parse_days, parse_time
from storage.access_models import ChatGroup, Coordinator, GroupMember, GroupProject, Person
from storage.db import dialect_insert, utcnow
from storage.plan_models import ProgressReport, Project, Unit
from storage.plans import latest_reports, plan_steps
from storage.reminder_models import ExtraHoliday, NotifyPreference, ReminderSchedule, SendLedger

LedgerKey = tuple[str, str, str, str]  # target, scope, month, occasion

# Schedules ------------------------------------------------------------------------


def _apply(base: Schedule, row: ReminderSchedule) -> Schedule:
    changes: dict[str, object] = {}
    if row.reminder_day is not None:
        changes["reminder_day"] = row.reminder_day
    if row.followup_days is not None:
        changes["followup_days"] = parse_days(row.followup_days) if row.followup_days else ()
    if row.deadline_day is not None:
        changes["deadline_day"] = row.deadline_day
    if row.digest_day is not None:
        changes["digest_day"] = row.digest_day
    if row.at_time is not None:
        changes["at"] = parse_time(row.at_time)
    return replace(base, **changes)  # type: ignore[arg-type]


def unit_schedules(session: Session, default: Schedule) -> dict[int, Schedule]:
    """Every unit's schedule: its own row over its parent's over the default."""
    rows = {r.unit_id: r for r in session.scalars(select(ReminderSchedule).where(ReminderSchedule.unit_id.is_not(None)))}
    parents = {uid: parent for uid, parent in session.execute(select(Unit.id, Unit.parent_id))}
    out: dict[int, Schedule] = {}

    def of(unit_id: int) -> Schedule:
        if unit_id not in out:
            parent = parents.get(unit_id)
            base = of(parent) if parent is not None else default
            row = rows.get(unit_id)
            out[unit_id] = _apply(base, row) if row is not None else base
        return out[unit_id]

    for unit_id in parents:
        of(unit_id)
    return out


def project_schedules(session: Session, projects: Iterable[tuple[int, int]], default: Schedule) -> dict[int, Schedule]:
    """``(project id, unit id)`` -> its schedule: its own row, else its unit's."""
    units = unit_schedules(session, default)
    own = {r.project_id: r for r in session.scalars(select(ReminderSchedule).where(ReminderSchedule.project_id.is_not(None)))}
    out: dict[int, Schedule] = {}
    for project_id, unit_id in projects:
        base = units.get(unit_id, default)
        row = own.get(project_id)
        out[project_id] = _apply(base, row) if row is not None else base
    return out


def set_schedule(session: Session, *, project_id: int | None = None, unit_id: int | None = None,
                 schedule: Schedule, by: str) -> ReminderSchedule:  # fmt: skip
    """Store a whole schedule for a project or a unit (replacing what it had)."""
    if (project_id is None) == (unit_id is None):
        raise ValueError("a schedule belongs to a project or to a unit")
    column = ReminderSchedule.project_id if project_id is not None else ReminderSchedule.unit_id
    row = session.scalar(select(ReminderSchedule).where(column == (project_id if project_id is not None else unit_id)))
    if row is None:
        row = ReminderSchedule(project_id=project_id, unit_id=unit_id, updated_by=by, updated_at=utcnow())
        session.add(row)
    row.reminder_day, row.deadline_day, row.digest_day = schedule.reminder_day, schedule.deadline_day, schedule.digest_day
    row.followup_days = format_days(schedule.followup_days)
    row.at_time = f"{schedule.at:%H:%M}"
    row.updated_by, row.updated_at = by, utcnow()
    session.flush()
    return row


def stored_schedules(session: Session) -> list[ReminderSchedule]:
    return list(session.scalars(select(ReminderSchedule).order_by(ReminderSchedule.unit_id, ReminderSchedule.project_id)))


# Days off -------------------------------------------------------------------------


def extra_holidays(session: Session) -> dict[date, str]:
    return {row.day: row.name for row in session.scalars(select(ExtraHoliday))}


def add_holiday(session: Session, day: date, name: str, *, by: str) -> bool:
    """False when the day was already there (its name is updated)."""
    row = session.get(ExtraHoliday, day)
    if row is not None:
        row.name = name[:200]
        return False
    session.add(ExtraHoliday(day=day, name=name[:200], added_by=by, added_at=utcnow()))
    session.flush()
    return True


# The ledger -----------------------------------------------------------------------


def claimed_keys(session: Session, months: Iterable[str]) -> set[LedgerKey]:
    rows = session.execute(
        select(SendLedger.target, SendLedger.scope, SendLedger.month, SendLedger.occasion).where(
            SendLedger.month.in_(list(months))
        )
    ).all()
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def claim(session: Session, key: LedgerKey, *, kind: str, status: str, project_ids: Sequence[int] = (),
          cost: int = 0) -> int | None:  # fmt: skip
    """Claim a ledger row; its id, or None when another run has it already. Two
    concurrent claims of one key: the unique constraint lets one through."""
    target, scope, month, occasion = key
    stmt = (
        dialect_insert(session)(SendLedger)
        .values(target=target, scope=scope, month=month, occasion=occasion, kind=kind, status=status,
                project_ids=json.dumps(list(project_ids)), cost=cost, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(SendLedger.id)
    )  # fmt: skip
    return session.execute(stmt).scalar_one_or_none()


def claim_many(session: Session, claims: Sequence[tuple[LedgerKey, str, Sequence[int], int]]) -> dict[LedgerKey, int]:
    """Claim many ledger rows at once: (key, kind, project ids, cost) each; the keys this
    call won -> their row ids (a key another run holds is not among them)."""
    if not claims:
        return {}
    now = utcnow()
    values = [
        {"target": key[0], "scope": key[1], "month": key[2], "occasion": key[3], "kind": kind, "status": "queued",
         "project_ids": json.dumps(list(pids)), "cost": cost, "created_at": now}
        for key, kind, pids, cost in claims
    ]  # fmt: skip
    stmt = dialect_insert(session)(SendLedger).values(values).on_conflict_do_nothing()
    rows = session.execute(stmt.returning(SendLedger.target, SendLedger.scope, SendLedger.month, SendLedger.occasion, SendLedger.id))
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}


def link_outbox(session: Session, links: Sequence[tuple[int, int]]) -> None:
    """(ledger id, outbox id) pairs."""
    if links:
        session.execute(update(SendLedger), [{"id": ledger_id, "outbox_id": outbox_id} for ledger_id, outbox_id in links])


def ledger_rows(session: Session, month: str | None = None) -> list[SendLedger]:
    query = select(SendLedger).order_by(SendLedger.id)
    if month is not None:
        query = query.where(SendLedger.month == month)
    return list(session.scalars(query))


# New-report notices ---------------------------------------------------------------


def set_new_reports(session: Session, user_id: str, on: bool) -> None:
    row = session.get(NotifyPreference, user_id)
    if row is None:
        session.add(NotifyPreference(user_id=user_id, new_reports=on, updated_at=utcnow()))
    else:
        row.new_reports, row.updated_at = on, utcnow()
    session.flush()


def wants_new_reports(session: Session, user_id: str) -> bool:
    row = session.get(NotifyPreference, user_id)
    return bool(row and row.new_reports)


def new_report_subscribers(session: Session) -> list[str]:
    query = (
        select(NotifyPreference.user_id)
        .join(Person, Person.user_id == NotifyPreference.user_id)
        .where(NotifyPreference.new_reports.is_(True), Person.is_friend.is_(True))
    )
    return list(session.scalars(query.order_by(NotifyPreference.user_id)))


def reports_of_day(session: Session, project_ids: Sequence[int], day: date) -> list[ProgressReport]:
    """The reports saved on ``day`` (the bot's day, as numbered) for these projects."""
    if not project_ids:
        return []
    query = select(ProgressReport).where(ProgressReport.project_id.in_(list(project_ids)), ProgressReport.reported_on == day)
    return list(session.scalars(query.order_by(ProgressReport.created_at, ProgressReport.id)))


# Facts for planning ---------------------------------------------------------------


def project_facts(projects: Sequence[Project], reports: Mapping[int, ProgressReport]) -> dict[int, ProjectFacts]:
    out: dict[int, ProjectFacts] = {}
    for p in projects:
        report = reports.get(p.id)
        out[p.id] = ProjectFacts(
            id=p.id, name=p.name, fiscal_year=p.fiscal_year, steps=tuple(plan_steps(p.steps)),
            actual=Decimal(report.percent) if report else None,
            last_report_month=YearMonth.of(report.reported_on) if report else None,
            last_reporters=(report.reporter_user_id,) if report and report.reporter_user_id else (),
            unit_id=p.unit_id,
        )  # fmt: skip
    return out


def load_projects(session: Session, ids: Iterable[int] | None = None) -> list[Project]:
    query = select(Project).options(selectinload(Project.steps), selectinload(Project.unit))
    if ids is not None:
        query = query.where(Project.id.in_(list(ids)))
    return list(session.scalars(query.order_by(Project.id)))


def group_facts(session: Session, group_ids: Sequence[str] | None = None) -> tuple[list[GroupFacts], dict[int, Project]]:
    """Every group bound to a project (active or not; or just ``group_ids``), with its
    members and projects; a fixed number of queries however many groups there are."""
    query = select(GroupProject.group_id, GroupProject.project_id)
    if group_ids is not None:
        query = query.where(GroupProject.group_id.in_(list(group_ids)))
    bindings = session.execute(query).all()
    project_ids = sorted({pid for _, pid in bindings})
    projects = {p.id: p for p in load_projects(session, project_ids)} if project_ids else {}
    facts = project_facts(list(projects.values()), latest_reports(session, project_ids))
    groups = {g.group_id: g for g in session.scalars(select(ChatGroup).where(ChatGroup.group_id.in_({g for g, _ in bindings})))}
    members: dict[str, set[str]] = {}
    member_query = select(GroupMember.group_id, GroupMember.user_id)
    if group_ids is not None:
        member_query = member_query.where(GroupMember.group_id.in_(list(group_ids)))
    for gid, uid in session.execute(member_query):
        members.setdefault(gid, set()).add(uid)
    by_group: dict[str, list[int]] = {}
    for gid, pid in bindings:
        by_group.setdefault(gid, []).append(pid)
    out = [
        GroupFacts(gid, bool(groups[gid].active) if gid in groups else False, frozenset(members.get(gid, ())),
                   tuple(facts[pid] for pid in sorted(pids) if pid in facts))  # fmt: skip
        for gid, pids in sorted(by_group.items())
    ]
    return out, projects


def friends(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(Person.user_id).where(Person.is_friend.is_(True))))


def coordinators(session: Session) -> dict[str, list[int]]:
    """Each coordinator who is a friend of the bot -> the units they coordinate."""
    query = (
        select(Coordinator.user_id, Coordinator.unit_id)
        .join(Person, Person.user_id == Coordinator.user_id)
        .where(Person.is_friend.is_(True))
        .order_by(Coordinator.user_id, Coordinator.unit_id)
    )
    out: dict[str, list[int]] = {}
    for user_id, unit_id in session.execute(query):
        out.setdefault(user_id, []).append(unit_id)
    return out


def coordinators_of_units(session: Session, unit_ids: Iterable[int]) -> dict[int, list[str]]:
    """Unit -> coordinators of it or of a unit it is in (friends of the bot only)."""
    parents = {uid: parent for uid, parent in session.execute(select(Unit.id, Unit.parent_id))}
    coordinated = coordinators(session)
    by_unit: dict[int, list[str]] = {}
    for user, units in coordinated.items():
        for unit in units:
            by_unit.setdefault(unit, []).append(user)
    out: dict[int, list[str]] = {}
    for unit in unit_ids:
        found: list[str] = []
        at: int | None = unit
        while at is not None:
            found += [u for u in by_unit.get(at, []) if u not in found]
            at = parents.get(at)
        out[unit] = found
    return out

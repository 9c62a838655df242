"""A unit with the seed 003 plans (FY 2566) bound to three groups, for the reminder tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from handlers.plans import import_plan
from storage import access
from storage.plans import find_unit, list_projects
from storage.reports import NewReport, add_report
from tests.conftest import RunningBot
from tests.handlers.helpers import SEED_003, UNIT_B

BANGKOK = ZoneInfo("Asia/Bangkok")
# Seed 003: P1 Oct-Sep, P2 Apr-Sep, P3 Oct-Sep, P4 Oct-Sep, P5 May-Sep, P6 Apr-Sep, P7 Oct-Sep, P8 Oct-Jan.
GROUPS = {
    "Cg1": ([1, 2, 3], ["U1", "U2", "U3"]),
    "Cg2": ([4, 5, 6], ["U4", "U5"]),
    "Cg3": ([7, 8], ["U6", "U7", "U8", "U1"]),
}
FRIENDS = ("U1", "UC")  # followed the bot; everyone else is in groups only
COORDINATOR = "UC"


@dataclass
class Office:
    bot: RunningBot
    ids: dict[int, int]  # seed position (1..8) -> project id


def local(day: date, at: time = time(9, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=BANGKOK)


def set_up(bot: RunningBot) -> Office:
    import_plan(bot.services.sessions, SEED_003.read_bytes(), "seed_003.txt", unit=UNIT_B)
    with bot.services.sessions() as session, session.begin():
        projects = list_projects(session, unit=UNIT_B)
        ids = {n: p.id for n, p in enumerate(projects, start=1)}
        unit = find_unit(session, UNIT_B)
        assert unit is not None
        for user in FRIENDS:
            access.touch_person(session, user, friend=True)
        access.add_coordinator(session, COORDINATOR, unit.id)
        for group, (positions, members) in GROUPS.items():
            access.bind(session, group, [ids[n] for n in positions], by="test")
            access.add_members(session, group, members)
    for user in FRIENDS:
        bot.world.add_user(user, f"ผู้ใช้ {user}", friend=True)
    for group, (_, members) in GROUPS.items():
        bot.world.add_group(group, f"กลุ่ม {group}", members)
    return Office(bot, ids)


def report(office: Office, position: int, day: date, percent: str, by: str) -> None:
    report_by_id(office.bot, office.ids[position], day, percent, by)


def utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


DISTRICT = "สำนักงานเขตทดสอบ"


def district_office(bot: RunningBot, *, projects: int = 40, groups: int = 8, members: int = 10) -> list[int]:
    """A district office of FY 2570: ``projects`` projects (each planned Oct-Sep), spread
    evenly over ``groups`` groups of ``members`` people; one coordinator (UC)."""
    from storage.plan_models import Project, Step
    from storage.plans import ensure_fiscal_year, ensure_unit

    now = datetime.now(UTC)
    with bot.services.sessions() as session, session.begin():
        ensure_fiscal_year(session, 2570)
        unit = ensure_unit(session, DISTRICT)
        ids = []
        for n in range(projects):
            project = Project(fiscal_year=2570, unit_id=unit.id, key=f"P{n}", name=f"โครงการที่ {n + 1} ของเขต",
                              plan_version=1, created_at=now, updated_at=now)  # fmt: skip
            session.add(project)
            session.flush()
            session.add(Step(project_id=project.id, version=1, position=1, no="1", title="ดำเนินการตามแผน",
                             weight=Decimal(100), first_month="2026-10", last_month="2027-09"))  # fmt: skip
            ids.append(project.id)
        access.add_coordinator(session, COORDINATOR, unit.id)
        per_group = projects // groups
        for g in range(groups):
            gid = f"Cd{g}"
            people = [f"Ud{g}m{m}" for m in range(members)]
            access.bind(session, gid, ids[g * per_group:(g + 1) * per_group], by="test")
            access.add_members(session, gid, people)
            bot.world.add_group(gid, f"กลุ่มงานที่ {g + 1}", people)
    bot.world.add_user(COORDINATOR, "ผู้ประสานงาน", friend=True)
    return ids


def report_by_id(bot: RunningBot, project_id: int, day: date, percent: str, by: str) -> None:
    with bot.services.sessions() as session, session.begin():
        add_report(session, NewReport(
            project_id=project_id, reported_on=day, percent=Decimal(percent), planned_percent=None,
            completed=(), in_progress=None, work_done="ดำเนินการตามแผน", budget_disbursed=Decimal(0),
            obstacles=None, reason=None, on_plan=None, on_target=None, reporter_user_id=by,
            reporter_name=f"ผู้ใช้ {by}", chat_id=None,
        ))  # fmt: skip

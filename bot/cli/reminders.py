"""`kaona remind`, `digest`, `quota`, `schedule`, `holidays`: the reminder clock by hand."""

from __future__ import annotations

import argparse
import json
import re
from datetime import date, datetime
from typing import Any

from bot.settings import Settings
from plans.errors import KaonaError
from plans.schedule import Schedule, parse_day, parse_days, parse_time
from plans.thai import BE_OFFSET, to_arabic_digits


def add_commands(sub: Any) -> None:
    remind = sub.add_parser("remind", help="reminders and follow-ups: what would go out now, or send them")
    mode = remind.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print what would be sent to whom, its cost and why; send nothing")
    mode.add_argument("--now", action="store_true", help="send what is due now (through the ledger: twice sends once)")
    remind.add_argument("--at", type=_moment, default=None, help="as if it were this time, e.g. 2027-01-20T09:00 (BOT_TIMEZONE)")
    remind.add_argument("--json", action="store_true")
    remind.set_defaults(func=run_remind)

    digest = sub.add_parser("digest", help="coordinator digests: send what is due now")
    digest.add_argument("--now", action="store_true", required=True)
    digest.add_argument("--at", type=_moment, default=None)
    digest.add_argument("--json", action="store_true")
    digest.set_defaults(func=run_digest)

    quota = sub.add_parser("quota", help="this month's LINE quota: used, the rest of the schedule, the naive design")
    quota.add_argument("--at", type=_moment, default=None)
    quota.add_argument("--json", action="store_true")
    quota.set_defaults(func=run_quota)

    schedule = sub.add_parser("schedule", help="set or show when reminders, follow-ups and digests go out")
    target = schedule.add_mutually_exclusive_group(required=True)
    target.add_argument("--project", metavar="KEY")
    target.add_argument("--unit", metavar="NAME")
    target.add_argument("--show", action="store_true")
    schedule.add_argument("--day", type=parse_day, help="reminder day of the month (default 20)")
    schedule.add_argument("--followups", type=parse_days, help="follow-up days, e.g. 21,24 (- for none)")
    schedule.add_argument("--deadline", type=parse_day, help="report deadline day")
    schedule.add_argument("--digest", type=parse_day, help="coordinator digest day")
    schedule.add_argument("--time", type=parse_time, help="time of day, e.g. 08:30")
    schedule.set_defaults(func=run_schedule)

    holidays = sub.add_parser("holidays", help="the BMA's own days off, on top of Thailand's public holidays")
    holidays_sub = holidays.add_subparsers(dest="action")
    add = holidays_sub.add_parser("add", help='add a day off: kaona holidays add 2027-04-16 "..." (BE dates too)')
    add.add_argument("day", type=parse_date)
    add.add_argument("name")
    holidays.set_defaults(func=run_holidays)


def parse_date(text: str) -> date:
    """2027-04-16, 2570-04-16, 16/04/2570 or 16/4/2027 (Thai digits too)."""
    s = to_arabic_digits(text).strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    dmy = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    elif dmy:
        day, month, year = int(dmy.group(1)), int(dmy.group(2)), int(dmy.group(3))
    else:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (e.g. 2027-04-16 or 16/04/2570)")
    if year > 2400:
        year -= BE_OFFSET
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}") from exc


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(to_arabic_digits(text).strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (e.g. 2027-01-20T09:00)") from exc
    if moment.year > 2400:
        moment = moment.replace(year=moment.year - BE_OFFSET)
    return moment if moment.tzinfo else moment.replace(tzinfo=Settings.from_env(demo=True).tz)


def _services() -> Any:
    from bot.services import build_services

    settings = Settings.from_env()
    return build_services(settings, migrate=settings.database_url.startswith("sqlite"))


def _at(args: argparse.Namespace, services: Any) -> datetime:
    return args.at or datetime.now(services.settings.tz)


def run_remind(args: argparse.Namespace) -> int:
    from scheduler import runs
    from scheduler.planning import member_counts, plan_run

    services = _services()
    try:
        at = _at(args, services)
        if args.dry_run:
            planned = plan_run(services, at, kinds=("remind",))
            member_counts(services, [p for p in planned.planned if p.send.scope == "group"])
            out = {
                "at": at.isoformat(),
                "sends": [{"to": p.send.target, "kind": p.send.kind, "scope": p.send.scope, "cost": p.cost,
                           "projects": [i.project.name for i in p.send.items], "mentions": list(p.send.mentions)}
                          for p in planned.planned],
                "cost": sum(p.cost for p in planned.planned),
                "decisions": [{"group": d.group_id, "project": d.name, "in": d.verdict == "in", "why": d.why}
                              for d in planned.decisions],
                "dropped": [list(k) for k in planned.dropped],
            }  # fmt: skip
            if args.json:
                print(json.dumps(out, ensure_ascii=False, indent=2))
            else:
                _print_dry_run(out)
            return 0
        result = runs.run(services, at, kinds=("remind",))
        print(runs.dump(result) if args.json else _summary(result))
        return 0
    finally:
        services.close()


def _print_dry_run(out: dict[str, Any]) -> None:
    print(f"ณ {out['at']}: จะส่ง {len(out['sends'])} ข้อความ ใช้โควตา {out['cost']} / would send {len(out['sends'])}, cost {out['cost']}")
    for send in out["sends"]:
        print(f"  → {send['to']} ({send['kind']}, cost {send['cost']}): " + "; ".join(send["projects"]))
    for decision in out["decisions"]:
        mark = "IN " if decision["in"] else "out"
        print(f"  [{mark}] {decision['group']} {decision['project'][:60]}: {decision['why']}")
    for key in out["dropped"]:
        print(f"  dropped (past the grace window): {key[0]} {key[3]}")


def _summary(result: Any) -> str:
    sent = ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items())) or "nothing due"
    lines = [f"{result.at.isoformat()}: {sent}; cost {result.cost}"]
    if result.skipped:
        lines.append(f"quota guard skipped {len(result.skipped)}; {result.notices} coordinator notice(s)")
    if result.taken_elsewhere:
        lines.append(f"{result.taken_elsewhere} already taken by another run")
    if result.stopped:
        lines.append(f"stopped: {result.stopped}")
    return "\n".join(lines)


def run_digest(args: argparse.Namespace) -> int:
    from scheduler import runs

    services = _services()
    try:
        result = runs.run(services, _at(args, services), kinds=("digest",))
        print(runs.dump(result) if args.json else _summary(result))
        return 0
    finally:
        services.close()


def run_quota(args: argparse.Namespace) -> int:
    from scheduler.forecast import forecast

    services = _services()
    try:
        figures = forecast(services, _at(args, services))
    finally:
        services.close()
    if args.json:
        print(json.dumps(figures.to_json(), ensure_ascii=False))
        return 0
    limit = "ไม่จำกัด / unlimited" if figures.limit is None else str(figures.limit)
    print(f"เดือน {figures.month} / month {figures.month}")
    print(f"  ใช้ไปแล้ว / used:                         {figures.used}")
    print(f"  ตามกำหนดที่เหลือของเดือน / forecast:        {figures.forecast}")
    print(f"  ทั้งเดือนแบบที่ก้าวหน้าส่ง / this design, month: {figures.design}")
    print(f"  แบบส่งทีละโครงการ / naive one push a project: {figures.naive}")
    print(f"  โควตา / limit:                          {limit}")
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    from bot.cli.common import open_database, resolve_project
    from storage import reminders as repo
    from storage.plan_models import Project, Unit
    from storage.plans import find_unit

    settings = Settings.from_env(demo=True)
    engine, sessions = open_database()
    try:
        with sessions() as session, session.begin():
            if args.show:
                print(f"ค่าเริ่มต้น / default: {settings.schedule.describe()}")
                units = repo.unit_schedules(session, settings.schedule)
                for row in repo.stored_schedules(session):
                    if row.unit_id is not None:
                        unit = session.get(Unit, row.unit_id)
                        print(f"หน่วยงาน / unit {unit.path if unit else row.unit_id}: {units[row.unit_id].describe()}")
                    else:
                        project = session.get(Project, row.project_id)
                        assert project is not None
                        own = repo.project_schedules(session, [(project.id, project.unit_id)], settings.schedule)
                        print(f"โครงการ / project #{project.id} {project.name[:60]}: {own[project.id].describe()}")
                return 0
            if args.project:
                project = resolve_project(session, args.project)
                base = repo.project_schedules(session, [(project.id, project.unit_id)], settings.schedule)[project.id]
                schedule = _changed(base, args)
                repo.set_schedule(session, project_id=project.id, schedule=schedule, by="cli")
                print(f"โครงการ #{project.id}: {schedule.describe()}")
            else:
                unit = find_unit(session, args.unit)
                if unit is None:
                    raise KaonaError(f"ไม่พบหน่วยงาน / no unit named {args.unit!r}")
                base = repo.unit_schedules(session, settings.schedule).get(unit.id, settings.schedule)
                schedule = _changed(base, args)
                repo.set_schedule(session, unit_id=unit.id, schedule=schedule, by="cli")
                print(f"หน่วยงาน {unit.path}: {schedule.describe()}")
    finally:
        engine.dispose()
    return 0


def _changed(base: Schedule, args: argparse.Namespace) -> Schedule:
    from dataclasses import replace

    changes: dict[str, Any] = {}
    for option, field_name in (("day", "reminder_day"), ("followups", "followup_days"), ("deadline", "deadline_day"),
                               ("digest", "digest_day"), ("time", "at")):  # fmt: skip
        value = getattr(args, option)
        if value is not None:
            changes[field_name] = value
    schedule = replace(base, **changes)
    problems = schedule.problems()
    if problems:
        raise KaonaError("ตั้งเวลาไม่ได้ / schedule refused: " + "; ".join(problems))
    return schedule


def run_holidays(args: argparse.Namespace) -> int:
    from bot.cli.common import open_database
    from storage import reminders as repo

    engine, sessions = open_database()
    try:
        with sessions() as session, session.begin():
            if args.action == "add":
                new = repo.add_holiday(session, args.day, args.name, by="cli")
                print(f"{'เพิ่ม' if new else 'แก้ไข'}วันหยุด {args.day.isoformat()} {args.name} / day off {'added' if new else 'renamed'}")
            for day, name in sorted(repo.extra_holidays(session).items()):
                print(f"{day.isoformat()}  {name}")
    finally:
        engine.dispose()
    return 0

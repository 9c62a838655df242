"""`kaona invite`, `bind`, `unbind`, `coordinators`, `groups`, `richmenu`: access from the command line."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli.common import open_database, resolve_project
from bot.settings import Settings
from plans.errors import ConfigError, KaonaError, LineApiError
from storage import access
from storage.access_models import ChatGroup, GroupMember, GroupProject
from storage.plan_models import Project, Unit
from storage.plans import find_unit

DURATION = re.compile(r"^(\d+)\s*([dhm])$")
LIFETIME_UNITS = ((1440, "วัน", "day"), (60, "ชั่วโมง", "hour"), (1, "นาที", "minute"))


def add_commands(sub: Any) -> None:
    invite = sub.add_parser("invite", help="print a one-time code: bind a group, or register a coordinator")
    target = invite.add_mutually_exclusive_group(required=True)
    target.add_argument("--project", action="append", metavar="KEY", help="project code, #id or name (repeatable)")
    target.add_argument("--unit", metavar="NAME", help="every project of a unit (binding), or the coordinator's unit")
    invite.add_argument("--coordinator", action="store_true", help="a code to register a coordinator of --unit")
    invite.add_argument("--expires", type=_duration, default=timedelta(days=7), help="e.g. 7d, 12h, 30m (default 7d)")
    invite.set_defaults(func=run_invite)

    bind = sub.add_parser("bind", help="bind a LINE group to projects directly")
    bind.add_argument("--group", required=True, metavar="GROUP_ID")
    bind.add_argument("--project", action="append", required=True, metavar="KEY")
    bind.set_defaults(func=run_bind)

    unbind = sub.add_parser("unbind", help="unbind a LINE group from projects (all when no --project)")
    unbind.add_argument("--group", required=True, metavar="GROUP_ID")
    unbind.add_argument("--project", action="append", metavar="KEY")
    unbind.set_defaults(func=run_unbind)

    coordinators = sub.add_parser("coordinators", help="list coordinators, or remove one")
    coordinators.set_defaults(func=run_coordinators, action="list")
    coord_sub = coordinators.add_subparsers()
    remove = coord_sub.add_parser("remove", help="remove a coordinator (from one unit, or from all)")
    remove.add_argument("--user", required=True, metavar="LINE_USER_ID")
    remove.add_argument("--unit", metavar="NAME")
    remove.set_defaults(func=run_coordinators, action="remove")

    sub.add_parser("groups", help="list LINE groups and the projects bound to them").set_defaults(func=run_groups)

    richmenu = sub.add_parser("richmenu", help="the one-to-one chat menu")
    richmenu.add_argument("action", choices=["install"])
    richmenu.set_defaults(func=run_richmenu)


def _duration(text: str) -> timedelta:
    found = DURATION.match(text.strip().lower())
    if not found:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 7d, 12h, 30m)")
    amount, unit = int(found.group(1)), found.group(2)
    delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "m": timedelta(minutes=amount)}[unit]
    if not timedelta(minutes=1) <= delta <= timedelta(days=90):
        raise argparse.ArgumentTypeError("a code may live from 1 minute to 90 days")
    return delta


def _spoken(delta: timedelta) -> tuple[str, str]:
    """A code's lifetime as people say it: ("7 วัน", "7 days"), ("12 ชั่วโมง", "12 hours")."""
    minutes = int(delta.total_seconds() // 60)
    size, th, en = next(unit for unit in LIFETIME_UNITS if minutes % unit[0] == 0)
    n = minutes // size
    return f"{n} {th}", f"{n} {en}{'s' if n != 1 else ''}"


def run_invite(args: argparse.Namespace) -> int:
    engine, sessions = open_database()
    with sessions() as session, session.begin():
        if args.coordinator:
            if not args.unit:
                raise KaonaError("--coordinator needs --unit NAME")
            unit = _unit(session, args.unit)
            code = access.create_code(session, "coordinator", created_by="cli", ttl=args.expires, unit_id=unit.id)
            what, how = f"ผู้ประสานงานของ {unit.path}", f"ลงทะเบียน {code}"
            where = "ส่งข้อความนี้ในแชตส่วนตัวกับก้าวหน้า / send it one-to-one to the bot"
        elif args.unit:
            unit = _unit(session, args.unit)
            code = access.create_code(session, "bind", created_by="cli", ttl=args.expires, unit_id=unit.id)
            what, how = f"ทุกโครงการของ {unit.path}", f"ผูกโครงการ {code}"
            where = "พิมพ์ในกลุ่ม LINE ที่ต้องการผูก / type it in the LINE group to bind"
        else:
            projects = [resolve_project(session, key) for key in args.project]
            code = access.create_code(
                session, "bind", created_by="cli", ttl=args.expires, project_ids=[p.id for p in projects]
            )
            what, how = ", ".join(f"#{p.id} {p.name}" for p in projects), f"ผูกโครงการ {code}"
            where = "พิมพ์ในกลุ่ม LINE ที่ต้องการผูก / type it in the LINE group to bind"
    engine.dispose()
    th, en = _spoken(args.expires)
    print(f"รหัส / code: {code}\nสำหรับ / for: {what}\nใช้ได้ครั้งเดียว ภายใน {th} / single use, expires in {en}")
    print(f"{where}:\n    {how}")
    return 0


def _unit(session: Session, name: str) -> Unit:
    unit = find_unit(session, name.split("/")[-1])
    if unit is None:
        raise KaonaError(f"ไม่พบหน่วยงาน / no unit named {name!r}: import its plan first")
    return unit


def run_bind(args: argparse.Namespace) -> int:
    engine, sessions = open_database()
    with sessions() as session, session.begin():
        projects = [resolve_project(session, key) for key in args.project]
        new = access.bind(session, args.group, [p.id for p in projects], by="cli")
    engine.dispose()
    print(f"ผูกกลุ่ม {args.group} กับ {len(new)} โครงการใหม่ / bound {len(new)} new project(s)")
    return 0


def run_unbind(args: argparse.Namespace) -> int:
    engine, sessions = open_database()
    with sessions() as session, session.begin():
        ids = [resolve_project(session, key).id for key in args.project] if args.project else None
        removed = access.unbind(session, args.group, ids)
    engine.dispose()
    print(f"ยกเลิกการผูก {removed} โครงการ / unbound {removed} project(s) from {args.group}")
    return 0


def run_coordinators(args: argparse.Namespace) -> int:
    engine, sessions = open_database()
    with sessions() as session, session.begin():
        if args.action == "remove":
            unit_id = _unit(session, args.unit).id if args.unit else None
            removed = access.remove_coordinator(session, args.user, unit_id)
            print(f"ลบผู้ประสานงาน {removed} รายการ / removed {removed} coordinator role(s)")
        else:
            rows = access.list_coordinators(session)
            if not rows:
                print("ยังไม่มีผู้ประสานงาน / no coordinators yet: `kaona invite --coordinator --unit NAME`")
            for row in rows:
                state = "" if row.person.is_friend else "  (บล็อกบอตอยู่ / has blocked the bot)"
                print(f"{row.unit.path}\t{row.person.display_name or '-'}\t{row.user_id}{state}")
    engine.dispose()
    return 0


def run_groups(args: argparse.Namespace) -> int:
    engine, sessions = open_database()
    with sessions() as session, session.begin():
        groups = list(session.scalars(select(ChatGroup).order_by(ChatGroup.joined_at)))
        _fill_group_names(groups)
        counted = session.execute(select(GroupMember.group_id, func.count()).group_by(GroupMember.group_id))
        members = {group_id: count for group_id, count in counted}
        bound: dict[str, list[Project]] = {}
        rows = session.execute(
            select(GroupProject.group_id, Project).join(Project, Project.id == GroupProject.project_id)
            .order_by(Project.id)
        )  # fmt: skip
        for group_id, project in rows:
            bound.setdefault(group_id, []).append(project)
        for group in groups:
            state = "" if group.active else "  (บอตออกจากกลุ่มแล้ว / the bot has left)"
            print(f"{group.group_id}\t{group.name or '-'}\t{members.get(group.group_id, 0)} คน{state}")
            for project in bound.get(group.group_id, []):
                print(f"    #{project.id} {project.name}")
        if not groups:
            print("ก้าวหน้ายังไม่อยู่ในกลุ่มใด / the bot is in no group yet")
    engine.dispose()
    return 0


def _fill_group_names(groups: list[ChatGroup]) -> None:
    """Ask LINE for the names of the groups the bot is in and has no name for (kept for next time)."""
    from bot.gateway import LineGateway

    missing = [g for g in groups if g.active and not g.name]
    if not missing:
        return
    try:
        gateway = LineGateway(Settings.from_env())
    except ConfigError as exc:
        print(f"(ไม่ได้ถามชื่อกลุ่มจาก LINE / group names not fetched: {exc})", file=sys.stderr)
        return
    try:
        for group in missing:
            try:
                group.name = gateway.group_name(group.group_id)[:200] or None
            except LineApiError as exc:
                print(f"(ชื่อกลุ่ม {group.group_id} / group name not fetched: {exc})", file=sys.stderr)
    finally:
        gateway.close()


def run_richmenu(args: argparse.Namespace) -> int:
    from bot.gateway import LineGateway
    from bot.richmenu import install

    gateway = LineGateway(Settings.from_env())
    try:
        menu_id = install(gateway)
    finally:
        gateway.close()
    print(f"ติดตั้งเมนูเรียบร้อย / rich menu installed and set as default: {menu_id}")
    return 0


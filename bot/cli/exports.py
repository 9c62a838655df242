"""`kaona export` (the official form as text, xlsx or JSON) and `kaona project`
(the form's particulars a plan does not always carry: who is responsible, their
phone, the KPI's target and the value reached)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.cli.common import open_database, resolve_project
from bot.cli.plans import _fiscal_year
from bot.settings import Settings
from plans.errors import KaonaError
from storage.plan_models import Project

FORMATS = ("text", "xlsx", "json")


def add_commands(sub: Any) -> None:
    export = sub.add_parser("export", help="progress reports in the official form: text, xlsx (with S-curves) or json")
    export.add_argument("--format", choices=FORMATS, default="text")
    which = export.add_mutually_exclusive_group()
    which.add_argument("--project", metavar="KEY", help="project code, #id or name")
    which.add_argument("--unit", help="every project of this unit (and the units inside it)")
    export.add_argument("--fy", type=_fiscal_year, help="fiscal year (BE); default: the current one")
    export.add_argument("--date", type=date.fromisoformat, help="as of this day (default today)")
    export.add_argument("--output", type=Path, help="write to this file (required for xlsx)")
    export.set_defaults(func=run_export)

    project = sub.add_parser("project", help="show or set a project's responsible person, phone and KPI target")
    project.add_argument("key", metavar="KEY", help="project code, #id or name")
    project.add_argument("--responsible", help="ชื่อผู้รับผิดชอบ, e.g. \"นางสาวอรนิชา ศาลิคุปต์ (ฝ่ายปกครอง)\"")
    project.add_argument("--phone", help="โทรศัพท์, e.g. 02-587-0001 ต่อ 1234")
    project.add_argument("--kpi-target", help="ค่าเป้าหมายของตัวชี้วัด, e.g. \"ไม่น้อยกว่าระดับ AA (95 คะแนน)\"")
    project.add_argument("--kpi-value", help="ผลที่ได้ตามตัวชี้วัด, e.g. \"95.52 คะแนน\"")
    project.set_defaults(func=run_project)


def run_export(args: argparse.Namespace) -> int:
    from handlers.export import forms_json, forms_text, project_forms, workbook_bytes
    from handlers.summary import summary_of
    from storage.plans import find_unit, unit_tree_ids

    settings = Settings.from_env(demo=True)
    on = args.date or datetime.now(settings.tz).date()
    if args.format == "xlsx" and not args.output:
        print("ไฟล์ xlsx ต้องระบุ --output / xlsx needs --output FILE", file=sys.stderr)
        return 2
    engine, sessions = open_database()
    try:
        with sessions() as session:
            ids = select(Project.id)
            if args.project:
                ids = ids.where(Project.id == resolve_project(session, args.project).id)
            elif args.unit:
                unit = find_unit(session, args.unit)
                if unit is None:
                    raise KaonaError(f"ไม่พบหน่วยงาน / no unit named {args.unit!r}")
                ids = ids.where(Project.unit_id.in_(unit_tree_ids(session, unit.id)))
            summary = summary_of(session, ids, on, tolerance=settings.plan_tolerance, fiscal_year=args.fy)
            if summary is None:
                raise KaonaError("ไม่มีโครงการที่จะส่งออก / nothing to export (see `kaona projects`)")
            chosen = [p.id for p in summary.projects]
            if args.format == "xlsx":
                year_ids = select(Project.id).where(Project.id.in_(chosen))
                data: bytes | str = workbook_bytes(
                    session, year_ids, on=on, tolerance=settings.plan_tolerance, fiscal_year=summary.fiscal_year
                )
            elif args.format == "json":
                body = forms_json(project_forms(session, chosen), on=on, summary=summary)
                data = json.dumps(body, ensure_ascii=False, indent=2)
            else:
                data = forms_text(project_forms(session, chosen), on=on)
    finally:
        engine.dispose()
    if args.output:
        if isinstance(data, bytes):
            args.output.write_bytes(data)
        else:
            args.output.write_text(data + "\n", encoding="utf-8")
        print(f"เขียนแบบรายงานไว้ที่ {args.output} / wrote the report form to {args.output}")
    else:
        print(data)
    return 0


def run_project(args: argparse.Namespace) -> int:
    engine, sessions = open_database()
    try:
        with sessions() as session, session.begin():
            project = resolve_project(session, args.key)
            for field, value in (("responsible", args.responsible), ("responsible_phone", args.phone),
                                 ("kpi_target", args.kpi_target), ("kpi_value", args.kpi_value)):  # fmt: skip
                if value is not None:
                    setattr(project, field, " ".join(value.split()) or None)
            lines = [
                f"#{project.id} {project.name}" + (f" [{project.code}]" if project.code else ""),
                f"    ผู้รับผิดชอบ / responsible: {project.responsible or '-'}",
                f"    โทรศัพท์ / phone: {project.responsible_phone or '-'}",
                f"    ค่าเป้าหมาย / KPI target: {project.kpi_target or '-'}",
                f"    ผลที่ได้ / KPI value: {project.kpi_value or '-'}",
            ]
    finally:
        engine.dispose()
    print("\n".join(lines))
    return 0

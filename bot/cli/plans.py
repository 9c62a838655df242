"""`kaona import`, `kaona template`, `kaona projects`: plans from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.cli.common import open_database
from bot.settings import Settings
from plans.model import PlanFileError, PlanStep
from plans.progress import cumulative, status
from plans.thai import be_to_ce, format_thai_date, parse_be_year, to_arabic_digits
from plans.validate import fmt

# What happened to each project, said in Thai and English; a dry run says what would happen.
STATUS_WORDS = {
    "imported": ("นำเข้าใหม่", "imported"),
    "updated": ("ปรับปรุง", "updated"),
    "unchanged": ("ไม่มีการเปลี่ยนแปลง", "unchanged"),
    "rejected": ("ไม่นำเข้า", "rejected"),
}
DRY_RUN_WORDS = {
    "imported": ("จะนำเข้าใหม่", "would import"),
    "updated": ("จะปรับปรุง", "would update"),
    "unchanged": ("ไม่มีการเปลี่ยนแปลง", "unchanged"),
    "rejected": ("จะไม่นำเข้า", "would reject"),
}
CENT = Decimal("0.01")
MARK = {"imported": "✓", "updated": "✓", "unchanged": "=", "rejected": "✗"}


def add_commands(sub: Any) -> None:
    imp = sub.add_parser("import", help="import an action plan (its Word .docx, step-table text, .xlsx or .csv)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--unit", help="the unit the plan belongs to, e.g. สำนักงานเขตบางซื่อ/ฝ่ายปกครอง")
    imp.add_argument("--fy", type=_fiscal_year, help="fiscal year (BE), when the file does not say: 2566 or ๒๕๖๖")
    imp.add_argument("--dry-run", action="store_true", help="check and report, store nothing")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.add_argument("--equal-weights", action="store_true", help="spread 100%% equally over steps with no weight")
    imp.add_argument("--force", action="store_true", help="replace the steps of projects that already have reports")
    imp.add_argument("--by", default=None, help="who imports (default: the OS user)")
    imp.set_defaults(func=run_import)

    template = sub.add_parser(
        "template", help="write the plan spreadsheet template (.xlsx), empty or with a unit's stored plan"
    )
    template.add_argument("file", type=Path, nargs="?", default=Path("plan.xlsx"))
    template.add_argument("--from-unit", metavar="UNIT", help="fill it with this unit's stored projects")
    template.add_argument("--fy", type=_fiscal_year, help="with --from-unit: only this fiscal year (BE)")
    template.set_defaults(func=run_template)

    projects = sub.add_parser("projects", help="list stored projects with planned and actual progress")
    projects.add_argument("--unit")
    projects.add_argument("--fy", type=_fiscal_year)
    projects.add_argument(
        "--date", type=_day, help="planned %% as of this day: 2026-11-30 or 30/11/2569 (BE) (default today)"
    )
    projects.add_argument("--json", action="store_true")
    projects.set_defaults(func=run_projects)


def _fiscal_year(text: str) -> int:
    year = parse_be_year(text)
    if year is None or not 2500 <= year <= 2700:
        raise argparse.ArgumentTypeError(f"not a Buddhist Era fiscal year: {text!r} (e.g. 2566)")
    return year


def _day(text: str) -> date:
    """An ISO date (Gregorian), or day/month/year with a Buddhist Era year (Thai digits too)."""
    arabic = to_arabic_digits(text.strip())
    try:
        return date.fromisoformat(arabic)
    except ValueError:
        pass
    parts = arabic.replace("-", "/").replace(".", "/").split("/")
    if len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts):
        day, month, year = (int(p) for p in parts)
        year = be_to_ce(year) if year > 2400 else year
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"not a date: {text!r} (e.g. 2026-11-30 or 30/11/2569)")


def run_import(args: argparse.Namespace) -> int:
    import getpass

    from handlers.plans import import_plan

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"อ่านไฟล์ไม่ได้ / cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    engine, sessions = open_database()
    try:
        result = import_plan(
            sessions,
            data,
            args.file.name,
            unit=args.unit,
            fiscal_year=args.fy,
            equal_weights=args.equal_weights,
            force=args.force,
            dry_run=args.dry_run,
            imported_by=args.by or getpass.getuser(),
        )
    except PlanFileError as exc:
        where = _where(exc.row, exc.column)
        print(f"นำเข้าไม่ได้{where[0]}: {exc.message_th}\ncannot import{where[1]}: {exc.message_en}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(_result_json(result), ensure_ascii=False, indent=2))
    else:
        print(_summary(result))
    return 1 if result.rejected else 0


def _where(row: int | None, column: str | None) -> tuple[str, str]:
    th = "".join([f" แถว {row}" if row else "", f" คอลัมน์ {column}" if column else ""])
    en = "".join([f" row {row}" if row else "", f" column {column}" if column else ""])
    return (f" ({th.strip()})" if th else "", f" ({en.strip()})" if en else "")


def _steps_json(steps: list[PlanStep]) -> list[dict[str, Any]]:
    running = cumulative([s.weight for s in steps])
    return [
        {
            "no": s.no,
            "title": s.title,
            "weight": _num(s.weight),
            "cumulative": _num(total),
            "months": [m.key for m in s.months],
        }
        for s, total in zip(steps, running, strict=True)
    ]


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _result_json(result: Any) -> dict[str, Any]:
    from storage.plans import problem_json

    return {
        "source": result.source,
        "dry_run": result.dry_run,
        "projects": [
            {
                "name": r.project.name,
                "code": r.project.code,
                "kpi": r.project.kpi,
                "unit": r.unit,
                "fiscal_year": r.project.fiscal_year,
                "status": r.status,
                "problems": [problem_json(p) for p in r.problems],
                "steps": _steps_json(r.project.steps),
            }
            for r in result.projects
        ],
    }


def _summary(result: Any) -> str:
    words = DRY_RUN_WORDS if result.dry_run else STATUS_WORDS
    lines = [f"นำเข้าแผนจาก {result.source}" + (" (ทดลอง ไม่บันทึก / dry run, nothing stored)" if result.dry_run else "")]
    counts = dict.fromkeys(STATUS_WORDS, 0)
    for r in result.projects:
        counts[r.status] += 1
        total = fmt(r.project.weight_sum)
        th, en = words[r.status]
        lines.append(
            f"{MARK[r.status]} {th} / {en}: {r.project.name}"
            + (f" [{r.project.code}]" if r.project.code else "")
            + f" — {len(r.project.steps)} ขั้นตอน, รวม {total}%"
            + (f" → {r.unit}" if r.unit and r.status != "rejected" else "")
        )
        for problem in r.problems:
            label = "ผิดพลาด / error" if problem.level == "error" else "คำเตือน / warning"
            where = _where(problem.row, problem.column)[0]
            lines.append(f"    {label}{where}: {problem.message_th}")
            lines.append(f"        {problem.message_en}")
    th = " ".join(f"{words[k][0]} {counts[k]}" for k in STATUS_WORDS)
    en = ", ".join(f"{counts[k]} {words[k][1]}" for k in STATUS_WORDS)
    lines.append(f"สรุป: {th} โครงการ")
    lines.append(f"Summary: {en}")
    return "\n".join(lines)


def run_template(args: argparse.Namespace) -> int:
    from plans.readers.template import write_template
    from storage.plans import list_projects, stored_plan

    if not args.from_unit:
        write_template(args.file)
        print(f"เขียนแบบฟอร์มแผนไว้ที่ {args.file} / wrote the plan template to {args.file}")
        return 0
    engine, sessions = open_database()
    with sessions() as session:
        plans = [stored_plan(p) for p in list_projects(session, unit=args.from_unit, fiscal_year=args.fy)]
    engine.dispose()
    if not plans:
        print(_nothing_found(argparse.Namespace(unit=args.from_unit, fy=args.fy)), file=sys.stderr)
        return 1
    write_template(args.file, plans)
    steps = sum(len(p.steps) for p in plans)
    print(f"เขียนแผน {len(plans)} โครงการ ({steps} ขั้นตอน) ไว้ที่ {args.file} เติมเดือน งบประมาณ หรือรหัสที่ขาด "
          f"แล้วนำเข้าอีกครั้งด้วย `kaona import {args.file}` / wrote {len(plans)} projects to {args.file}: "
          "fill in what is missing, then import it again")
    return 0


def run_projects(args: argparse.Namespace) -> int:
    """Planned % today and the latest actual % of every project, in a fixed number of
    queries (plain rows summed in SQL, as the summary does), whatever the number of projects."""
    from storage import overview
    from storage.plans import project_ids

    settings = Settings.from_env(demo=True)
    today = args.date or datetime.now(settings.tz).date()
    engine, sessions = open_database()
    rows = []
    with sessions() as session:
        ids = project_ids(session, unit=args.unit, fiscal_year=args.fy)
        found = [] if ids is None else overview.project_rows(session, ids)
        planned_of, latest, steps, paths = (
            (overview.planned_percents(session, ids, today), overview.latest_rows(session, ids),
             overview.step_counts(session, ids), overview.unit_paths(session))
            if ids is not None and found else ({}, {}, {}, {})
        )  # fmt: skip
        for project in sorted(found, key=lambda p: (p.fiscal_year, p.unit_id, p.id)):
            planned = planned_of.get(project.id)
            report = latest.get(project.id)
            actual = report.percent if report else None
            state = status(actual if actual is not None else Decimal(0), planned, settings.plan_tolerance)
            rows.append(
                {
                    "id": project.id,
                    "key": f"#{project.id}",
                    "code": project.code,
                    "name": project.name,
                    "unit": paths.get(project.unit_id, ""),
                    "fiscal_year": project.fiscal_year,
                    "steps": steps.get(project.id, 0),
                    "planned_percent": _num(None if planned is None else planned.quantize(CENT)),
                    "actual_percent": _num(actual),
                    "reports": report.number if report else 0,
                    "status": state.label_th,
                }
            )
    engine.dispose()
    if args.json:
        print(json.dumps({"date": today.isoformat(), "projects": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(_nothing_found(args))
        return 0
    print(f"ความก้าวหน้า ณ วันที่ {format_thai_date(today)} / progress as of {today.isoformat()}")
    for row in rows:
        planned_text = "-" if row["planned_percent"] is None else f"{row['planned_percent']}%"
        actual_text = "ยังไม่รายงาน" if row["actual_percent"] is None else f"{row['actual_percent']}%"
        code = f"[{row['code']}] " if row["code"] else ""
        print(f"{row['key']} {row['fiscal_year']} {row['unit']}: {code}{row['name']}")
        print(f"    แผน {planned_text} · ผล {actual_text} · {row['status']} · {row['steps']} ขั้นตอน")
    print("อ้างถึงโครงการด้วย #เลข รหัส หรือชื่อ เช่น `kaona export --project #1` / "
          "refer to a project by #id, code or name")
    return 0


def _nothing_found(args: argparse.Namespace) -> str:
    filters = []
    if args.unit:
        filters.append(f"--unit {args.unit}")
    if args.fy:
        filters.append(f"--fy {args.fy}")
    if not filters:
        return "ยังไม่มีโครงการ ใช้ `kaona import FILE` เพื่อนำเข้าแผน / no projects yet: use `kaona import FILE`"
    where = " ".join(filters)
    return f"ไม่พบโครงการที่ตรงกับ {where} / no project matches {where} (ลองดูทั้งหมดด้วย `kaona projects`)"


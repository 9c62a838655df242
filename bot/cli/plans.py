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
from plans.progress import cumulative, planned_percent, status
from plans.thai import parse_be_year
from plans.validate import fmt

STATUS_TH = {"imported": "นำเข้าใหม่", "updated": "ปรับปรุง", "rejected": "ไม่นำเข้า"}
CENT = Decimal("0.01")
MARK = {"imported": "✓", "updated": "✓", "rejected": "✗"}


def add_commands(sub: Any) -> None:
    imp = sub.add_parser("import", help="import an action plan (step-table text, .xlsx or .csv)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--unit", help="the unit the plan belongs to, e.g. สำนักงานเขตบางซื่อ/ฝ่ายปกครอง")
    imp.add_argument("--fy", type=_fiscal_year, help="fiscal year (BE), when the file does not say: 2566 or ๒๕๖๖")
    imp.add_argument("--dry-run", action="store_true", help="check and report, store nothing")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.add_argument("--equal-weights", action="store_true", help="spread 100%% equally over steps with no weight")
    imp.add_argument("--force", action="store_true", help="replace the steps of projects that already have reports")
    imp.add_argument("--by", default=None, help="who imports (default: the OS user)")
    imp.set_defaults(func=run_import)

    template = sub.add_parser("template", help="write the plan spreadsheet template (.xlsx)")
    template.add_argument("file", type=Path, nargs="?", default=Path("plan.xlsx"))
    template.set_defaults(func=run_template)

    projects = sub.add_parser("projects", help="list stored projects with planned and actual progress")
    projects.add_argument("--unit")
    projects.add_argument("--fy", type=_fiscal_year)
    projects.add_argument("--date", type=date.fromisoformat, help="planned %% as of this day (default today)")
    projects.add_argument("--json", action="store_true")
    projects.set_defaults(func=run_projects)


def _fiscal_year(text: str) -> int:
    year = parse_be_year(text)
    if year is None or not 2500 <= year <= 2700:
        raise argparse.ArgumentTypeError(f"not a Buddhist Era fiscal year: {text!r} (e.g. 2566)")
    return year


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
    lines = [f"นำเข้าแผนจาก {result.source}" + (" (ทดลอง ไม่บันทึก / dry run, nothing stored)" if result.dry_run else "")]
    counts = {"imported": 0, "updated": 0, "rejected": 0}
    for r in result.projects:
        counts[r.status] += 1
        total = fmt(r.project.weight_sum)
        lines.append(
            f"{MARK[r.status]} {STATUS_TH[r.status]} / {r.status}: {r.project.name}"
            + (f" [{r.project.code}]" if r.project.code else "")
            + f" — {len(r.project.steps)} ขั้นตอน, รวม {total}%"
        )
        for problem in r.problems:
            label = "ผิดพลาด / error" if problem.level == "error" else "คำเตือน / warning"
            where = _where(problem.row, problem.column)[0]
            lines.append(f"    {label}{where}: {problem.message_th}")
            lines.append(f"        {problem.message_en}")
    lines.append(
        f"สรุป: นำเข้าใหม่ {counts['imported']} ปรับปรุง {counts['updated']} ไม่นำเข้า {counts['rejected']} โครงการ"
    )
    lines.append(
        f"Summary: {counts['imported']} imported, {counts['updated']} updated, {counts['rejected']} rejected"
    )
    return "\n".join(lines)


def run_template(args: argparse.Namespace) -> int:
    from plans.readers.template import write_template

    write_template(args.file)
    print(f"เขียนแบบฟอร์มแผนไว้ที่ {args.file} / wrote the plan template to {args.file}")
    return 0


def run_projects(args: argparse.Namespace) -> int:
    from storage.plans import latest_reports, list_projects, plan_steps

    settings = Settings.from_env(demo=True)
    today = args.date or datetime.now(settings.tz).date()
    engine, sessions = open_database()
    rows = []
    with sessions() as session:
        projects = list_projects(session, unit=args.unit, fiscal_year=args.fy)
        latest = latest_reports(session, [p.id for p in projects])
        for project in projects:
            steps = plan_steps(project.steps)
            planned = planned_percent(steps, today)
            report = latest.get(project.id)
            actual = Decimal(report.percent) if report else None
            state = status(actual if actual is not None else Decimal(0), planned, settings.plan_tolerance)
            rows.append(
                {
                    "code": project.code,
                    "name": project.name,
                    "unit": project.unit.path,
                    "fiscal_year": project.fiscal_year,
                    "steps": len(steps),
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
        print("ยังไม่มีโครงการ ใช้ `kaona import FILE` เพื่อนำเข้าแผน / no projects yet: use `kaona import FILE`")
        return 0
    print(f"ความก้าวหน้า ณ {today.isoformat()} / progress as of {today.isoformat()}")
    for row in rows:
        planned_text = "-" if row["planned_percent"] is None else f"{row['planned_percent']}%"
        actual_text = "ยังไม่รายงาน" if row["actual_percent"] is None else f"{row['actual_percent']}%"
        code = f"[{row['code']}] " if row["code"] else ""
        print(f"{row['fiscal_year']} {row['unit']}: {code}{row['name']}")
        print(f"    แผน {planned_text} · ผล {actual_text} · {row['status']} · {row['steps']} ขั้นตอน")
    return 0


"""Use case: import a unit's action plan (its Word document, a step-table text or the
spreadsheet template), validate every project, and store the valid ones in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from plans.model import ParsedProject, PlanFileError, Problem
from plans.readers.docx import is_docx, parse_docx
from plans.readers.sheet_tables import csv_items, is_step_table_sheet, workbook_items
from plans.readers.spreadsheet import parse_spreadsheet
from plans.readers.steptable import parse_items, parse_step_tables
from plans.readers.textrows import Item
from plans.validate import validate
from storage import plans as repo
from storage.plan_models import PlanImport, Project

SPREADSHEET_TYPES = {".xlsx", ".xlsm", ".xls", ".csv", ".tsv"}


@dataclass(frozen=True)
class ProjectResult:
    project: ParsedProject
    status: str  # imported | updated | unchanged | rejected
    unit: str | None
    problems: list[Problem]


@dataclass
class ImportResult:
    source: str
    dry_run: bool
    projects: list[ProjectResult] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.projects if p.status == "rejected")


def read_plan(data: bytes, filename: str, *, fiscal_year: int | None = None, unit: str | None = None) -> list[ParsedProject]:
    """Parse a plan file; PlanFileError (naming row and column where it can) when it
    cannot be read at all."""
    suffix = Path(filename).suffix.lower()
    if is_docx(data):
        projects = parse_docx(data, fiscal_year=fiscal_year, unit=unit)
        if not projects:
            raise PlanFileError(
                "ไม่พบตารางขั้นตอนการปฏิบัติงานในเอกสาร Word นี้ (ต้องมีตารางที่มีหัว “ขั้นตอนการปฏิบัติงาน… / "
                "เนื้องาน… (ร้อยละ) / ระยะเวลาดำเนินการ”)",
                "No step table was found in this Word document.",
            )
    elif suffix == ".doc":
        raise PlanFileError(
            "ไฟล์นี้เป็น Word รุ่นเก่า (.doc) กรุณาเปิดแล้วบันทึกเป็น .docx แล้วลองใหม่",
            "This is an old Word file (.doc); open it and save it as .docx, then try again.",
        )
    elif suffix in SPREADSHEET_TYPES or data.startswith(b"PK\x03\x04"):
        projects = _spreadsheet(data, filename, fiscal_year=fiscal_year, unit=unit)
    else:
        projects = parse_step_tables(decode_text(data), fiscal_year=fiscal_year, unit=unit)
        if not projects:
            raise PlanFileError(
                "ไม่พบตารางขั้นตอนการปฏิบัติงานในไฟล์นี้ (ต้องมีหัวตาราง “ขั้นตอนการปฏิบัติงาน… / ร้อยละ / ระยะเวลาดำเนินการ”)",
                "No step table was found in this file (a header row with the steps, percent and months is needed).",
            )
    return projects


def _spreadsheet(data: bytes, filename: str, *, fiscal_year: int | None, unit: str | None) -> list[ParsedProject]:
    """The template (a row per step), or else step tables laid out as in the Word document."""
    try:
        return parse_spreadsheet(data, filename)
    except PlanFileError:  # not the template: perhaps the document's own layout
        items: list[Item] | None = None
        if data.startswith(b"PK\x03\x04"):
            try:
                items = workbook_items(data)
            except Exception:  # noqa: BLE001 - openpyxl's many errors: the template reader said it
                items = None
        elif b"\x00" not in data:
            try:
                items = csv_items(data.decode("utf-8-sig"))
            except UnicodeDecodeError:
                items = None
        if items is None or not is_step_table_sheet(items):
            raise
        return parse_items(items, fiscal_year=fiscal_year, unit=unit)


def decode_text(data: bytes) -> str:
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise PlanFileError("ไฟล์นี้ว่างเปล่า กรุณาตรวจสอบและส่งไฟล์ใหม่", "The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" saved by Word or Excel
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise PlanFileError(
            "ไฟล์นี้ไม่ใช่ข้อความหรือสเปรดชีตที่ระบบอ่านได้ กรุณาคัดลอกตารางเป็นข้อความ หรือใช้แบบฟอร์ม .xlsx",
            "This is a binary file, not text or a spreadsheet Kaona can read.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp874")  # Thai Windows (TIS-620), still common in offices
        except UnicodeDecodeError:
            text = ""
        # Any byte decodes as cp874, so only take it when plan words appear in it.
        if any(word in text for word in ("โครงการ", "ขั้นตอน", "ร้อยละ")):
            return text
        raise PlanFileError(
            f"ไฟล์นี้ไม่ได้เข้ารหัสแบบ UTF-8 (พบอักขระที่อ่านไม่ได้ที่บรรทัด {line}) กรุณาบันทึกเป็น UTF-8 แล้วลองใหม่",
            f"The file is not UTF-8 (undecodable bytes at line {line}); save it as UTF-8 and try again.",
            row=line,
        ) from exc


def import_plan(
    sessions: sessionmaker[Session],
    data: bytes,
    filename: str,
    *,
    unit: str | None = None,
    fiscal_year: int | None = None,
    equal_weights: bool = False,
    force: bool = False,
    dry_run: bool = False,
    imported_by: str = "admin",
) -> ImportResult:
    """Import a plan file in a transaction of its own (the command line)."""
    with sessions() as session, session.begin():
        return import_in(session, data, filename, unit=unit, fiscal_year=fiscal_year,
                         equal_weights=equal_weights, force=force, dry_run=dry_run,
                         imported_by=imported_by)  # fmt: skip


def import_in(
    session: Session,
    data: bytes,
    filename: str,
    *,
    unit: str | None = None,
    fiscal_year: int | None = None,
    equal_weights: bool = False,
    force: bool = False,
    dry_run: bool = False,
    imported_by: str = "admin",
) -> ImportResult:
    """Import a plan file inside ``session``'s transaction (a chat's event): a dry run is
    rolled back to a savepoint, so it stores nothing while the rest of the event commits."""
    parsed = read_plan(data, filename, fiscal_year=fiscal_year, unit=unit)
    result = ImportResult(source=filename, dry_run=dry_run)
    savepoint = session.begin_nested()
    record = repo.start_import(session, source_file=filename, imported_by=imported_by)
    cache: dict[tuple[int, int], dict[str, Project]] = {}
    for project in parsed:
        result.projects.append(_import_one(session, project, unit, fiscal_year, equal_weights, force, record, cache))
    record.summary = json.dumps(
        [
            {"name": r.project.name, "code": r.project.code, "status": r.status,
             "problems": [repo.problem_json(p) for p in r.problems]}
            for r in result.projects
        ],
        ensure_ascii=False,
    )  # fmt: skip
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return result


def _import_one(
    session: Session,
    project: ParsedProject,
    unit_name: str | None,
    fiscal_year: int | None,
    equal_weights: bool,
    force: bool,
    record: PlanImport,
    cache: dict[tuple[int, int], dict[str, Project]],
) -> ProjectResult:
    unit_name = unit_name or project.unit
    if fiscal_year is not None and project.fiscal_year is None:
        project = replace(project, fiscal_year=fiscal_year)
    checked = validate(project, equal_weights=equal_weights)
    problems = list(checked.problems)
    if not unit_name:
        problems.append(
            Problem(
                "error",
                "missing_unit",
                "เอกสารไม่ได้ระบุหน่วยงานเจ้าของแผน (ใต้ชื่อแผน “แผนปฏิบัติราชการประจำปี …”) "
                "กรุณาระบุด้วย --unit เช่น --unit \"สำนักงานเขตบางซื่อ\"",
                "The document does not name the unit the plan belongs to (below its title); "
                'give it with --unit, e.g. --unit "District Office".',
            )
        )
    if any(p.level == "error" for p in problems) or checked.fiscal_year is None or not unit_name:
        return ProjectResult(checked, "rejected", unit_name, problems)
    repo.ensure_fiscal_year(session, checked.fiscal_year)
    unit = repo.ensure_unit(session, unit_name)
    existing = cache.get((checked.fiscal_year, unit.id))
    if existing is None:
        existing = repo.existing_projects(session, checked.fiscal_year, unit)
        cache[(checked.fiscal_year, unit.id)] = existing
    key = repo.project_key(checked.code, checked.name)
    outcome = repo.save_project(
        session,
        replace(checked, problems=problems),
        unit=unit,
        fiscal_year=checked.fiscal_year,
        import_record=record,
        existing=existing.get(key),
        force=force,
    )
    if outcome.project is not None and outcome.status != "rejected":
        existing[key] = outcome.project
    return ProjectResult(checked, outcome.status, unit.name, outcome.problems)

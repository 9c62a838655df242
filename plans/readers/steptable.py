"""Read the step tables ("ขั้นตอนการปฏิบัติงานของโครงการ/กิจกรรม") out of the
text of an annual action plan.

A step table starts at a header row with a "ขั้นตอน…" cell and a "เนื้องาน…"
cell, optionally followed by a row of BE years ("พ.ศ. 256๕ | พ.ศ. 256๖": Oct-Dec
in the first, Jan-Sep in the second, so FY 256๖; a single year is taken as the
fiscal year) and a row of month names. It ends after the "รวม N ขั้นตอน" row,
at the next plain line of text, or at the next header. Every other table in a
plan (budget summaries, KPI scoring tables) is skipped.

The lines above each table name the project, its KPI, code and policy (see
``plans.readers.heading``); the layout of rows and cells is in
``plans.readers.textrows`` and the reading of cells and month marks in
``plans.readers.stepcells``.

Decisions where plans are ambiguous:

- The project name is kept as written, including a trailing "(ฝ่ายปกครอง)",
  which is also copied to ``responsible``. A project code ("50310000-2961") in
  the name is moved to ``code``.
- A step whose cell lists sub-items ("- ประชุม…") and whose weight cell has one
  number per sub-item is split: the sub-items become steps "1.1", "1.2", … with
  titles "parent: sub-item", and the parent, having no weight of its own, is
  not a step. With a single weight the sub-items are details of one step and
  are appended to its title. Any other count of numbers is an error.
- Wrapped titles are joined without a space between Thai characters.

Only problems visible while reading are recorded here; ``plans.validate``
adds the checks on the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from plans.fiscal import YearMonth, fiscal_months
from plans.model import ParsedProject, PlanStep, Problem, ProblemLevel
from plans.readers.heading import ProjectHeading, document_unit
from plans.readers.layouts import has_month_columns, is_step_header, normalise
from plans.readers.stepcells import (
    Marks,
    MonthColumns,
    StepCell,
    cell_numbers,
    is_total_row,
    month_cells,
    parse_step_cell,
    read_marks,
    tidy_title,
    year_cells,
)
from plans.readers.textrows import Item, Row, TextLine, clean, split_items
from plans.thai import MONTH_ABBR


@dataclass
class _Table:
    header: Row
    year_rows: list[Row] = field(default_factory=list)
    month_row: Row | None = None
    rows: list[Row] = field(default_factory=list)


def parse_step_tables(
    text: str, *, fiscal_year: int | None = None, unit: str | None = None
) -> list[ParsedProject]:
    """Every step table in ``text`` as a project, in document order."""
    return parse_items(split_items(text), fiscal_year=fiscal_year, unit=unit)


def parse_items(
    items: list[Item], *, fiscal_year: int | None = None, unit: str | None = None
) -> list[ParsedProject]:
    """Every step table among rows and lines (from copied text, or read from a .docx)."""
    items = normalise(items)
    if unit is None:  # the document's own unit, unless the importer names one
        before = [clean(it.text) for it in _before_first_table(items) if isinstance(it, TextLine)]
        unit = document_unit([line for line in before if line])
    context = ProjectHeading()
    projects: list[ParsedProject] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, Row) and _is_header(item):
            table, i = _collect(items, i)
            projects.append(_build(table, context, fiscal_year, unit))
            context = context.next_table()
            continue
        if isinstance(item, Row) and context.name and has_month_columns(items, i):
            projects.append(_not_a_step_table(item, context, unit))
            context = context.next_table()
        if isinstance(item, TextLine):
            context.read(item.line, item.text, clean(item.text))
        else:
            context.read(item.line, item.cells[0], item.text)
        i += 1
    return projects


def _not_a_step_table(header: Row, ctx: ProjectHeading, unit: str | None) -> ParsedProject:
    """A project named above a table with months that is not a step plan (measures, a
    budget): rejected, saying why, rather than silently left out."""
    name, code, responsible = ctx.split_name()
    quoted = " | ".join(clean(c) for c in header.cells if clean(c))[:120]
    problem = _problem(
        "error", "not_a_step_table",
        f"ตารางใต้ชื่อโครงการนี้ไม่ใช่ตารางขั้นตอนการปฏิบัติงาน (หัวตาราง “{quoted}”) จึงไม่นำเข้า "
        "ตารางขั้นตอนต้องมีคอลัมน์ “ขั้นตอนการปฏิบัติงาน” และ “เนื้องานรายขั้นตอน (ร้อยละ)”",
        f"The table below this project is not a step table (its header: “{quoted}”), so it was not "
        "imported; a step table has the columns of the steps and their weights (percent).",
        header.line, "project",
    )  # fmt: skip
    return ParsedProject(
        name=name, code=code, kpi=ctx.kpi, policy=ctx.policy, unit=unit, fiscal_year=None,
        budget=ctx.budget, responsible=responsible, steps=[], declared_cumulative=[],
        declared_total=None, problems=[problem], source_line=ctx.name_line or header.line,
    )  # fmt: skip


def _before_first_table(items: list[Item]) -> list[Item]:
    for i, item in enumerate(items):
        if isinstance(item, Row) and _is_header(item):
            return items[:i]
    return items


def _squeeze(text: str) -> str:
    return "".join(clean(text).split())


_is_header = is_step_header


def _column(header: Row, *words: str) -> int | None:
    for col, cell in enumerate(header.cells):
        if any(w in _squeeze(cell) for w in words):
            return col
    return None


def _collect(items: list[Item], start: int) -> tuple[_Table, int]:
    header = items[start]
    assert isinstance(header, Row)
    table = _Table(header, month_row=header if len(month_cells(header)) >= 6 else None)
    width = len(header.cells)
    j = start + 1
    while (
        table.month_row is None
        and j < len(items)
        and isinstance(row := items[j], Row)
        and not _is_header(row)
    ):
        if len(month_cells(row)) >= 6:
            table.month_row = row
        elif year_cells(row) and parse_step_cell(row.cells[0]) is None:
            table.year_rows.append(row)
        elif any(clean(c) for c in row.cells):
            break
        j += 1
    weight_col = _column(header, "เนื้องาน") or 1
    while j < len(items) and isinstance(row := items[j], Row) and not _is_header(row):
        is_step = parse_step_cell(row.cells[0]) is not None or is_total_row(row)
        only_text = not any(clean(c) for c in row.cells[1:width])
        has_weight = any(v is not None for v in cell_numbers(row.cell(weight_col)))
        if not (is_step or only_text or has_weight):
            break
        table.rows.append(row)
        j += 1
        if is_total_row(row):
            break
    return table, j


def _problem(level: ProblemLevel, code: str, th: str, en: str, row: int | None,
             column: str | None = None) -> Problem:  # fmt: skip
    return Problem(level, code, th, en, row, column)


def _fiscal_year(table: _Table, given: int | None, problems: list[Problem]) -> int | None:
    years = [y for r in table.year_rows for y in year_cells(r)]
    if not years and table.month_row is not None:
        for month, year in month_cells(table.month_row).values():
            if year is not None:
                years.append(year + 1 if month >= 10 else year)
                break
    line = table.header.line
    if not years:
        return given
    if len(years) >= 2 and years[1] != years[0] + 1:
        problems.append(_problem(
            "error", "header_years_inconsistent",
            f"หัวตารางระบุปี พ.ศ. {years[0]} และ {years[1]} ซึ่งไม่ใช่ปีที่ต่อกัน "
            "จึงไม่แน่ใจว่าเป็นปีงบประมาณใด กรุณาตรวจสอบหัวตาราง",
            f"The table header gives the years {years[0]} and {years[1]}, which are not "
            "consecutive, so the fiscal year is unclear; please check the header.",
            line, "months",
        ))  # fmt: skip
    found = years[1] if len(years) >= 2 else years[0]
    if given is not None and given != found:
        problems.append(_problem(
            "warning", "fiscal_year_mismatch",
            f"หัวตารางระบุปีงบประมาณ พ.ศ. {found} ซึ่งต่างจากปีที่เลือกไว้ ({given}) "
            "ระบบใช้ปีตามหัวตาราง",
            f"The table header says fiscal year {found}, not the {given} chosen; "
            "the header's year is used.",
            line, "months",
        ))  # fmt: skip
    return found


def _build(
    table: _Table, ctx: ProjectHeading, given_fy: int | None, unit: str | None
) -> ParsedProject:
    problems: list[Problem] = []
    header = table.header
    step_col = _column(header, "ขั้นตอน") or 0
    weight_col = _column(header, "เนื้องาน")
    cum_col = _column(header, "ความก้าวหน้า", "สะสม")
    first_month_col = max(c for c in (step_col, weight_col, cum_col) if c is not None) + 1
    columns = MonthColumns.from_header(table.month_row, first_month_col)
    fy = _fiscal_year(table, given_fy, problems)
    months_of_year = fiscal_months(fy) if fy is not None else None

    steps: list[PlanStep] = []
    cumulative: list[Decimal | None] = []
    total: Decimal | None = None
    total_cum: Decimal | None = None
    for row in table.rows:
        weights = cell_numbers(row.cell(weight_col))
        cums = cell_numbers(row.cell(cum_col))
        if is_total_row(row):
            total = next((w for w in weights if w is not None), None)
            total_cum = next((c for c in cums if c is not None), None)
            continue
        cell = parse_step_cell(row.cell(step_col))
        if cell is None and not any(w is not None for w in weights):
            if steps:  # a title wrapped into a row of its own
                last = steps[-1]
                title = tidy_title(f"{last.title} {clean(row.cell(step_col))}")
                steps[-1] = PlanStep(last.no, title, last.weight, last.months, last.row)
            continue
        if cell is None:
            cell = _unnumbered(row, step_col, steps, problems)
        marks = read_marks(row, columns)
        months: tuple[YearMonth, ...] = ()
        if marks.first is not None and marks.last is not None:
            if months_of_year is None:
                problems.append(_problem(
                    "error", "months_without_year",
                    f"ขั้นตอนที่ {cell.no} มีการกำหนดเดือนไว้ แต่หัวตารางไม่ระบุปี พ.ศ. "
                    "จึงไม่ทราบว่าเป็นปีงบประมาณใด กรุณาระบุปีงบประมาณ",
                    f"Step {cell.no} is marked in some months, but the table gives no year, "
                    "so the fiscal year is unknown; please give the fiscal year.",
                    row.line, "months",
                ))  # fmt: skip
            else:
                months = tuple(months_of_year[marks.first : marks.last + 1])
                _mark_warnings(cell.no, marks, months, row.line, problems)
        new = _steps_of(cell, weights, cums, months, row.line, problems)
        steps.extend(s for s, _ in new)
        cumulative.extend(c for _, c in new)

    name, code, responsible = ctx.split_name()
    return ParsedProject(
        name=name, code=code, kpi=ctx.kpi, policy=ctx.policy, unit=unit, fiscal_year=fy,
        budget=ctx.budget, responsible=responsible, steps=steps,
        declared_cumulative=cumulative, declared_total=total, problems=problems,
        source_line=ctx.name_line or header.line, declared_total_cumulative=total_cum,
        context=tuple(ctx.recent[-3:]),
    )  # fmt: skip


def _unnumbered(row: Row, step_col: int, steps: list[PlanStep], problems: list[Problem]
                ) -> StepCell:  # fmt: skip
    numbers = [int(s.no.split(".")[0]) for s in steps if s.no.split(".")[0].isdigit()]
    no = str(max(numbers, default=0) + 1)
    problems.append(_problem(
        "warning", "step_unnumbered",
        f"แถวนี้มีเนื้องานแต่ไม่มีเลขขั้นตอน จึงนับเป็นขั้นตอนที่ {no}",
        f"This row has a weight but no step number; it was taken as step {no}.",
        row.line, "step_no",
    ))  # fmt: skip
    lines = [ln for ln in row.cell(step_col).split("\n") if clean(ln)]
    return StepCell(no, tidy_title(" ".join(clean(ln) for ln in lines)), ())


def _mark_warnings(no: str, marks: Marks, months: tuple[YearMonth, ...], line: int,
                   problems: list[Problem]) -> None:  # fmt: skip
    month = MONTH_ABBR[months[0].month]
    if marks.closing_only:
        problems.append(_problem(
            "warning", "closing_arrow_only",
            f"ขั้นตอนที่ {no} มีเพียงหัวลูกศร (→) ที่เดือน {month} ไม่พบจุดเริ่มต้น "
            f"จึงนับเริ่มที่เดือน {month} กรุณาตรวจสอบว่าขั้นตอนนี้เริ่มเดือนใด",
            f"Step {no} has only an arrow head (→) in {months[0].key} and no start mark; "
            "it was taken to start then. Please check when this step starts.",
            line, "months",
        ))  # fmt: skip
    elif marks.starts_past_last_column:
        how = f" ({marks.how})" if marks.how else ""
        problems.append(_problem(
            "warning", "mark_past_last_month",
            f"เครื่องหมายของขั้นตอนที่ {no}{how} อยู่เลยคอลัมน์ ก.ย. ออกไป จึงนับเป็นเดือน ก.ย. "
            "กรุณาตรวจสอบช่วงเวลาของขั้นตอนนี้อีกครั้ง",
            f"Step {no} is marked{' by ' + ('shading' if 'แรเงา' in how else 'a drawn line') if how else ''} "
            "to the right of the Sep column, so it was read as September; please check its months.",
            line, "months",
        ))  # fmt: skip


def _steps_of(
    cell: StepCell,
    weights: list[Decimal | None],
    cums: list[Decimal | None],
    months: tuple[YearMonth, ...],
    line: int,
    problems: list[Problem],
) -> list[tuple[PlanStep, Decimal | None]]:
    if len(cell.subs) >= 2 and len(weights) == len(cell.subs):
        aligned = cums if len(cums) == len(cell.subs) else [None] * len(cell.subs)
        return [
            (PlanStep(f"{cell.no}.{k}", f"{cell.head}: {sub}", weight, months, line), cum)
            for k, (sub, weight, cum) in enumerate(zip(cell.subs, weights, aligned, strict=True), 1)
        ]
    title = f"{cell.head}: {'; '.join(cell.subs)}" if cell.subs else cell.head
    weight = weights[0] if len(weights) == 1 else None
    if len(weights) > 1:
        shown = ", ".join("?" if w is None else str(w) for w in weights)
        problems.append(_problem(
            "error", "weights_unclear",
            f"ขั้นตอนที่ {cell.no} มีตัวเลขในช่องเนื้องานหลายค่า ({shown}) ซึ่งไม่ตรงกับ"
            "จำนวนขั้นตอนย่อย จึงอ่านเนื้องานของขั้นตอนนี้ไม่ได้",
            f"Step {cell.no} has several numbers in its weight cell ({shown}) that do not "
            "match its sub-items, so its weight cannot be read.",
            line, "weight",
        ))  # fmt: skip
    elif len(weights) == 1 and weight is None:
        problems.append(_problem(
            "error", "weight_not_a_number",
            f"ช่องเนื้องานของขั้นตอนที่ {cell.no} ไม่ใช่ตัวเลข",
            f"The weight of step {cell.no} is not a number.",
            line, "weight",
        ))  # fmt: skip
    cum = next((c for c in reversed(cums) if c is not None), None)
    return [(PlanStep(cell.no, title, weight, months, line), cum)]

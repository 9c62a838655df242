"""Reading the cells of a step table: step numbers and titles, numbers, the
year and month header rows, and the month marks of a step row.

Month columns. Word tables often have more grid columns than the 12 months
(cells of different widths in different rows); when copied as text every grid
column becomes a cell and a merged cell is followed by empty ones. So a cell
belongs to the month whose header cell is the nearest one at or to its left,
and cells to the right of "ก.ย." belong to ก.ย. (its header cell spans them).
When a step's first mark lies there the whole step collapses into ก.ย., which
the drawing may not have meant, so that is reported.

Marks. Any non-blank content in a month cell is a mark (←, →, ↔, ←→,
"←-----→", ✓, /, x, …) except a lone "-", which in Thai tables means "none".
A step runs from its first marked month to its last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from plans.fiscal import FISCAL_MONTH_ORDER
from plans.readers.textrows import Row, clean, join_wrapped
from plans.thai import parse_be_year, parse_number, parse_thai_month, to_arabic_digits

_STEP_NO = re.compile(
    r"^(?:ขั้นตอนที่\s*)?(?P<no>[0-9]+(?:\.[0-9]+)*)(?:\s*[.):]\s*|\s+|$)(?P<title>.*)$"
)
_STEP_WORD = re.compile(r"^ขั้นตอนที่\s*[0-9]")
_SUB_ITEM = re.compile(r"^\s*[-–•○▪*]\s*")
_YEAR_IN_CELL = re.compile(r"(?:พ\.?\s*ศ\.?\s*)?([0-9]{4}|[0-9]{2})\b")
_YEARS_ONLY = re.compile(r"^(?:[0-9]{2}|[0-9]{4})(?:\s*[/\-–]\s*(?:[0-9]{2}|[0-9]{4}))?$")  # "2566", "2562 / 2563"
_MONTH_CELL = re.compile(r"^(?P<month>[^\d]+?)\s*(?P<year>[0-9]{2,4})?$")
_CLOSING_ONLY = re.compile(r"^[-–—.]*[→⟶>]$")
_HYPHEN_WRAP = re.compile(r"(?<=[\u0e01-\u0e4e])- (?=[\u0e01-\u0e4e])")


@dataclass(frozen=True, slots=True)
class StepCell:
    no: str
    head: str
    subs: tuple[str, ...]


def tidy_title(text: str) -> str:
    """Whitespace collapsed and "กรุงเทพ- มหานคร" (a hyphenated wrap) rejoined."""
    return _HYPHEN_WRAP.sub("", " ".join(text.split()))


def parse_step_cell(text: str) -> StepCell | None:
    """``"1. เตรียมการ\\n  - ประชุม"`` -> StepCell("1", "เตรียมการ", ("ประชุม",)),
    or None when the cell does not start with a step number."""
    lines = [ln for ln in text.split("\n") if clean(ln)]
    if not lines:
        return None
    first = to_arabic_digits(clean(lines[0]))
    m = _STEP_NO.match(first)
    if m is None or (len(m.group("no").split(".")[0]) > 2 and not _STEP_WORD.match(first)):
        return None
    head_lines = [m.group("title")]
    subs: list[list[str]] = []
    for line in lines[1:]:
        if _SUB_ITEM.match(line):
            subs.append([_SUB_ITEM.sub("", line, count=1)])
        elif subs:
            subs[-1].append(line)
        else:
            head_lines.append(line)
    return StepCell(
        no=m.group("no"),
        head=tidy_title(join_wrapped(head_lines)),
        subs=tuple(tidy_title(join_wrapped(s)) for s in subs),
    )


def cell_numbers(text: str) -> list[Decimal | None]:
    """One value per line of a cell that is neither blank nor "-" (None where
    it is not a number)."""
    return [parse_number(clean(ln)) for ln in text.split("\n") if clean(ln) not in ("", "-")]


def is_total_row(row: Row) -> bool:
    first = next((clean(c) for c in row.cells if clean(c)), "")
    return first.startswith("รวม")


def month_cells(row: Row) -> dict[int, tuple[int, int | None]]:
    """Cells that name a month: column -> (month number, BE year or None)."""
    found: dict[int, tuple[int, int | None]] = {}
    for col, cell in enumerate(row.cells):
        m = _MONTH_CELL.match(to_arabic_digits(clean(cell)))
        month = parse_thai_month(m.group("month")) if m else None
        if m and month:
            found[col] = (month, parse_be_year(m.group("year")) if m.group("year") else None)
    return found


def year_cells(row: Row) -> list[int]:
    """BE years in a header row such as "พ.ศ. 256๕ | พ.ศ. 256๖", in order."""
    years: list[int] = []
    for cell in row.cells:
        text = to_arabic_digits(clean(cell))
        if not text or ("พ" not in text and not _YEARS_ONLY.match(text)):
            continue
        for found in _YEAR_IN_CELL.findall(text):
            year = parse_be_year(found)
            if year is not None and 2400 <= year <= 2700:
                years.append(year)
    return years


@dataclass(frozen=True, slots=True)
class MonthColumns:
    """Where the months are: header column -> fiscal position 0..11."""

    positions: dict[int, int]

    @classmethod
    def from_header(cls, month_row: Row | None, first_col: int) -> MonthColumns:
        if month_row is not None:
            found = month_cells(month_row)
            positions = {col: FISCAL_MONTH_ORDER.index(m) for col, (m, _) in found.items()}
            if len(positions) >= 6:
                return cls(positions)
        return cls({first_col + i: i for i in range(12)})

    @property
    def last_col(self) -> int:
        return max(self.positions)

    def position(self, col: int) -> int | None:
        """Fiscal position of a data cell (None left of the first month)."""
        left = [c for c in self.positions if c <= col]
        return self.positions[max(left)] if left else None


# How a Word document marked a month, written into the cell by the .docx reader.
SHADED = "[แรเงา]"  # the cell's background is filled
DRAWN = "[ลูกศร]"  # a line or arrow is drawn over the cell
HOW_READ = {SHADED: "จากการแรเงาช่อง", DRAWN: "จากลูกศรหรือเส้นที่วาดไว้"}


@dataclass(frozen=True, slots=True)
class Marks:
    first: int | None  # fiscal position 0..11
    last: int | None
    starts_past_last_column: bool  # the first mark sat right of the "ก.ย." column
    closing_only: bool  # the first mark is a lone closing arrow "→"
    how: str = ""  # how the first mark was read, said in Thai ("" for a written mark)


def read_marks(row: Row, columns: MonthColumns) -> Marks:
    first_col = min(columns.positions)
    marked: list[tuple[int, str]] = []
    for col in range(first_col, len(row.cells)):
        text = clean(row.cells[col])
        if not text or text == "-":
            continue
        position = columns.position(col)
        if position is not None:
            marked.append((col, text))
    if not marked:
        return Marks(None, None, starts_past_last_column=False, closing_only=False)
    positions = [columns.position(col) or 0 for col, _ in marked]
    return Marks(
        first=min(positions),
        last=max(positions),
        starts_past_last_column=marked[0][0] > columns.last_col,
        closing_only=bool(_CLOSING_ONLY.match(marked[0][1])),
        how=HOW_READ.get(marked[0][1], ""),
    )

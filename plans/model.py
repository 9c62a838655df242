"""What a plan import produces: projects, their steps, and the problems found.

Plain frozen dataclasses, shared by the step-table reader, the spreadsheet
reader, the validator and the progress arithmetic.

Two fields go beyond the bare minimum, both defaulted so positional use of the
others is unchanged:

- ``PlanStep.row`` — where the step came from (a 1-based text line for step
  tables, a sheet row for spreadsheets), so problems can point at it. It is
  not part of equality.
- ``ParsedProject.declared_total_cumulative`` — the running-total cell of the
  closing "รวม N ขั้นตอน" row, which some plans fill in (and get wrong).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from plans.errors import PlanError
from plans.fiscal import YearMonth

ProblemLevel = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One step of a project: its number ("1", "1.2"), title, share of the
    work in percent (None when the plan gives none), and scheduled months."""

    no: str
    title: str
    weight: Decimal | None
    months: tuple[YearMonth, ...] = ()
    row: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an imported project, said politely in Thai and in
    English. ``error`` rejects the project; ``warning`` is shown and kept.
    ``row`` is the source line/row; ``column`` a field key such as
    ``"weight"``, ``"cumulative"``, ``"months"``, ``"step_no"``."""

    level: ProblemLevel
    code: str
    message_th: str
    message_en: str
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class ParsedProject:
    name: str
    code: str | None
    kpi: str | None
    policy: str | None
    unit: str | None
    fiscal_year: int | None
    budget: Decimal | None
    responsible: str | None
    steps: list[PlanStep]
    declared_cumulative: list[Decimal | None]
    declared_total: Decimal | None
    problems: list[Problem]
    source_line: int
    declared_total_cumulative: Decimal | None = None
    # The lines just above the table, to show where a name was expected when none was found.
    context: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def weight_sum(self) -> Decimal:
        return sum((s.weight for s in self.steps if s.weight is not None), Decimal(0))


class PlanFileError(PlanError):
    """A plan file that cannot be read at all (empty, binary, wrong encoding,
    missing required columns). Names the row and column when it can."""

    def __init__(
        self,
        message_th: str,
        message_en: str,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_th = message_th
        self.message_en = message_en
        self.row = row
        self.column = column

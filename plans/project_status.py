"""One project's status as plain data, for the `สถานะ <project>` card: where it
stands against its plan, each step's state, the last report and the budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from plans.model import PlanStep
from plans.standing import Standing

StepStateName = Literal["done", "in_progress", "not_started"]


@dataclass(frozen=True)
class StepState:
    no: str
    title: str
    weight: Decimal | None
    state: StepStateName
    fraction: Decimal | None  # 0..1, for the step in progress
    due_now: bool  # the plan schedules it in this month


@dataclass(frozen=True)
class LastReport:
    number: int
    reported_on: date
    work_done: str
    reporter: str | None


@dataclass(frozen=True)
class ProjectStatus:
    id: int
    name: str
    code: str | None
    fiscal_year: int
    unit: str
    on: date
    standing: Standing
    steps: tuple[StepState, ...]
    last: LastReport | None
    budget: Decimal | None
    disbursed: Decimal

    @property
    def disbursed_share(self) -> Decimal | None:
        """Disbursed as a percent of the budget received; None without a budget."""
        if not self.budget:
            return None
        return (self.disbursed * 100 / self.budget).quantize(Decimal("0.01"))


def step_states(
    steps: Sequence[PlanStep],
    completed: Sequence[str],
    in_progress: tuple[str, Decimal] | None,
    due_now: Sequence[PlanStep] = (),
) -> tuple[StepState, ...]:
    done = set(completed)
    due = {s.no for s in due_now}
    out = []
    for step in steps:
        if step.no in done:
            state: StepStateName = "done"
            fraction = None
        elif in_progress is not None and in_progress[0] == step.no:
            state, fraction = "in_progress", in_progress[1]
        else:
            state, fraction = "not_started", None
        out.append(StepState(step.no, step.title, step.weight, state, fraction, step.no in due))
    return tuple(out)

"""What a state's answer leads to (Outcome and its effects) and how the report moves
between states. The question of the state moved to is added by the machine
(flows/report.py), which knows every state's record."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flows.draft import Draft, ProjectView, StateName, StepView
from flows.replies import Reply
from plans.fiscal import YearMonth
from plans.model import PlanStep

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Load:
    """Load the project (for the draft's mode) and call ``loaded``."""

    project_id: int


@dataclass(frozen=True)
class Save:
    draft: Draft


@dataclass(frozen=True)
class Attach:
    """แนบ: add the draft's files to this month's report."""

    draft: Draft


@dataclass(frozen=True)
class RunCommand:
    """The person chose to run the command they typed as an answer: the draft is kept."""

    text: str


Effect = Load | Save | Attach | RunCommand


@dataclass(frozen=True)
class Outcome:
    draft: Draft | None
    replies: tuple[Reply, ...] = ()
    effect: Effect | None = None
    ask: bool = False  # the question of the draft's state still has to follow the replies


def to(draft: Draft, state: StateName, *, said: tuple[Reply, ...] = (), push: bool = True) -> Outcome:
    history = (*draft.history, draft.state) if push and draft.state != state else draft.history
    moved = draft.with_(state=state, history=history, strikes=0)
    if state == "confirm":
        moved = moved.with_(reviewed=True)
    if state == "steps":
        moved = moved.with_(steps_base=moved.completed)
    return Outcome(moved, said, ask=True)


def forward(draft: Draft, state: StateName, *, said: tuple[Reply, ...] = ()) -> Outcome:
    """On to ``state``, skipping what does not apply; back to the card once it was shown."""
    if draft.reviewed or draft.mode != "new":
        return to(draft, "confirm", said=said)
    if state == "budget" and not project_of(draft).has_budget:
        return forward(draft.with_(budget=Decimal(0)), "obstacles", said=said)
    return to(draft, state, said=said)


def project_of(draft: Draft) -> ProjectView:
    if draft.project is None:
        raise ValueError(f"state {draft.state} needs a project")
    return draft.project


def plan_of(project: ProjectView) -> list[PlanStep]:
    return [PlanStep(s.no, s.title, s.weight, tuple(YearMonth.from_key(m) for m in s.months)) for s in project.steps]


def current_step(draft: Draft) -> StepView:
    return next(s for s in project_of(draft).steps if s.no not in draft.completed)


def ordered(project: ProjectView, nos: set[str]) -> tuple[str, ...]:
    return tuple(s.no for s in project.steps if s.no in nos)


def went_down(draft: Draft, value: Decimal) -> bool:
    last = project_of(draft).last_percent
    return last is not None and value < last

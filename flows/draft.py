"""The report conversation's state: plain frozen data, saved as JSON between messages."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class StepView:
    no: str
    title: str
    weight: Decimal
    months: tuple[str, ...] = ()  # "YYYY-MM"


@dataclass(frozen=True)
class ProjectView:
    """What the conversation needs to know of a project, loaded by the handler."""

    id: int
    name: str
    code: str | None
    steps: tuple[StepView, ...]
    planned_now: Decimal | None  # None: no monthly plan
    last_number: int  # reports so far this fiscal year
    last_percent: Decimal | None
    last_completed: tuple[str, ...] = ()
    budget: Decimal | None = None
    disbursed: Decimal = Decimal(0)  # so far, all reports
    plan_version: int = 1  # the steps the conversation was started on
    tolerance: Decimal = Decimal(0)  # points either side of the plan still "on plan"

    @property
    def remaining_budget(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.disbursed

    def step(self, no: str) -> StepView | None:
        return next((s for s in self.steps if s.no == no), None)


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    code: str | None = None


@dataclass(frozen=True)
class Draft:
    nonce: str  # buttons carry it, so a button from another conversation is recognised
    state: str
    started_at: str
    updated_at: str
    choices: tuple[Choice, ...] = ()
    project: ProjectView | None = None
    completed: tuple[str, ...] = ()
    in_progress: tuple[str, Decimal] | None = None
    percent: Decimal | None = None
    percent_typed: bool = False
    reason: str | None = None  # why the figure went down
    work_done: str | None = None
    budget: Decimal | None = None
    obstacles: str | None = None
    strikes: int = 0
    history: tuple[str, ...] = ()
    editing: bool = False  # changing one field from the summary card
    edit_report: int | None = None  # แก้ไขรายงาน: 0 until the project is known, then its number
    in_group: bool = False
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_encode, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Draft:
        raw = json.loads(text)
        project = raw.get("project")
        if project is not None:
            steps = tuple(
                StepView(s["no"], s["title"], Decimal(s["weight"]), tuple(s["months"])) for s in project["steps"]
            )
            decimals = _decimals(project, "planned_now", "last_percent", "budget", "disbursed", "tolerance")
            project = ProjectView(
                **{
                    **project,
                    **decimals,
                    "steps": steps,
                    "last_completed": tuple(project["last_completed"]),
                    "disbursed": decimals["disbursed"] or Decimal(0),
                    "tolerance": decimals["tolerance"] or Decimal(0),
                }
            )
        in_progress = raw.get("in_progress")
        return cls(
            **{
                **raw,
                "choices": tuple(Choice(**c) for c in raw.get("choices", ())),
                "project": project,
                "completed": tuple(raw.get("completed", ())),
                "in_progress": None if in_progress is None else (in_progress[0], Decimal(in_progress[1])),
                "history": tuple(raw.get("history", ())),
                "notes": tuple(raw.get("notes", ())),
                **_decimals(raw, "percent", "budget"),
            }
        )

    def with_(self, **changes: Any) -> Draft:
        return replace(self, **changes)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a draft")


def _decimals(raw: dict[str, Any], *names: str) -> dict[str, Decimal | None]:
    return {name: None if raw.get(name) is None else Decimal(str(raw[name])) for name in names}

"""The report conversation's state: plain frozen data, saved as JSON between messages.

The dataclasses are the one source of truth for the JSON (flows/codec.py reads each
field by its annotation). A draft saved by an earlier version of the bot is brought up
to date by ``_upgrade``, which names every change of shape: a state renamed or a field
replaced must be listed there, or drafts in flight would be dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal, get_args

from flows import codec

StateName = Literal[
    "choose", "already", "extra_reason", "steps", "in_progress", "reason", "nothing_reason", "work",
    "budget", "budget_confirm", "obstacles", "evidence", "confirm", "edit_field", "resume",
]  # fmt: skip
STATE_NAMES: tuple[StateName, ...] = get_args(StateName)
# new: the conversation; shortcut: "รายงาน <project> 45% <text>"; edit: แก้ไขรายงาน;
# nothing: "ไม่มีความก้าวหน้าเดือนนี้" (same figure, a reason).
Mode = Literal["new", "shortcut", "edit", "nothing"]


@dataclass(frozen=True)
class StepView:
    no: str
    title: str
    weight: Decimal
    months: tuple[str, ...] = ()  # "YYYY-MM"


@dataclass(frozen=True)
class MonthReport:
    """This month's latest report of the project, so a second one is not made unknowingly."""

    number: int
    by: str | None  # the reporter's display name
    on: str  # ISO date
    percent: Decimal | None = None
    completed: tuple[str, ...] = ()


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
    month_report: MonthReport | None = None

    @property
    def remaining_budget(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.disbursed

    @property
    def has_budget(self) -> bool:
        return bool(self.budget) or self.disbursed > 0

    def step(self, no: str) -> StepView | None:
        return next((s for s in self.steps if s.no == no), None)


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    code: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A photo or file sent during the report, already stored (never in the database)."""

    key: str  # where the file store keeps it
    name: str
    content_type: str
    size: int
    message_id: str


@dataclass(frozen=True)
class Draft:
    nonce: str  # buttons carry it, so a button from another conversation is recognised
    state: StateName
    started_at: str
    updated_at: str
    mode: Mode = "new"
    owner: str | None = None  # the reporter's user id: buttons carry it too
    owner_name: str | None = None
    choices: tuple[Choice, ...] = ()
    project: ProjectView | None = None
    completed: tuple[str, ...] = ()
    steps_base: tuple[str, ...] | None = None  # what "ไม่มี" keeps: the ✅ shown with the question
    in_progress: tuple[str, Decimal] | None = None
    percent: Decimal | None = None
    percent_typed: bool = False
    reason: str | None = None  # why the figure went down
    work_done: str | None = None
    budget: Decimal | None = None
    obstacles: str | None = None
    attachments: tuple[Attachment, ...] = ()
    extra_reason: str | None = None  # a second report this month, and why
    strikes: int = 0
    history: tuple[StateName, ...] = ()
    reviewed: bool = False  # the card was shown: answering one field goes back to it
    edit_number: int | None = None  # the report being edited (None until the project is known)
    attach_only: bool = False  # แนบ: files for this month's report, nothing else
    in_group: bool = False
    held: str | None = None  # a command typed as a free-text answer, until the person says which it is

    def to_json(self) -> str:
        return codec.dumps(self)

    @classmethod
    def from_json(cls, text: str) -> Draft:
        return codec.read(cls, _upgrade(json.loads(text)))

    def with_(self, **changes: Any) -> Draft:
        return replace(self, **changes)


# Renamed states: old name -> new name. Empty so far; a rename adds a line here.
RENAMED_STATES: dict[str, StateName] = {}


def _upgrade(raw: Any) -> Any:
    """A draft of an earlier shape, in today's shape (the shape before 2026-12:
    ``edit_report`` None/0/n, ``"shortcut"`` in ``notes``, ``editing``)."""
    if not isinstance(raw, dict):
        return raw
    raw = dict(raw)
    if "edit_report" in raw:
        edit = raw.pop("edit_report")
        if edit is not None:
            raw["mode"] = "edit"
            raw["edit_number"] = edit or None
    notes = raw.pop("notes", None)
    if notes and "shortcut" in notes and raw.get("mode", "new") == "new":
        raw["mode"] = "shortcut"
    if raw.pop("editing", False):
        raw["reviewed"] = True
    for key in ("state",):
        if raw.get(key) in RENAMED_STATES:
            raw[key] = RENAMED_STATES[raw[key]]
    raw["history"] = [RENAMED_STATES.get(s, s) for s in raw.get("history", [])]
    return raw

"""What the report conversation says: plain data, rendered to LINE messages by the handler."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.progress import status
from bot.render import Choice as Button
from flows.draft import Draft


@dataclass(frozen=True)
class Say:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class SummaryCard:
    """The report before it is saved (or the report being edited)."""

    title: str
    project: str
    percent: Decimal
    planned: Decimal | None
    status: str
    steps: str
    work_done: str
    budget: Decimal
    obstacles: str | None
    reason: str | None


def card_of(draft: Draft) -> SummaryCard:
    project = draft.project
    assert project is not None and draft.percent is not None
    number = draft.edit_report if draft.edit_report is not None else project.last_number + 1
    title = f"แก้ไขรายงานครั้งที่ {number}" if draft.edit_report is not None else f"สรุปรายงานครั้งที่ {number}"
    if draft.percent_typed:
        steps = "ระบุร้อยละรวมโดยตรง"
    else:
        done = ", ".join(draft.completed) or "-"
        steps = f"เสร็จแล้ว: ขั้นที่ {done}"
        if draft.in_progress is not None:
            no, fraction = draft.in_progress
            steps += f" · กำลังทำขั้นที่ {no} ({(fraction * 100).normalize():f}%)"
    return SummaryCard(
        title=title,
        project=project.name,
        percent=draft.percent,
        planned=project.planned_now,
        status=status(draft.percent, project.planned_now).label_th,
        steps=steps,
        work_done=draft.work_done or "-",
        budget=draft.budget or Decimal(0),
        obstacles=draft.obstacles,
        reason=draft.reason,
    )

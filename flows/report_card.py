"""The summary card of a report draft."""

from __future__ import annotations

from decimal import Decimal

from flows.draft import Draft
from flows.replies import SummaryCard
from plans.progress import status


def card_of(draft: Draft) -> SummaryCard:
    project = draft.project
    assert project is not None and draft.percent is not None
    number = draft.edit_report if draft.edit_report else project.last_number + 1
    title = f"แก้ไขรายงานครั้งที่ {number}" if draft.edit_report else f"สรุปรายงานครั้งที่ {number}"
    if draft.percent_typed:
        steps = "ระบุร้อยละรวมของโครงการโดยตรง"
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
        status=status(draft.percent, project.planned_now, project.tolerance).label_th,
        steps=steps,
        work_done=draft.work_done or "-",
        budget=draft.budget or Decimal(0),
        obstacles=draft.obstacles,
        reason=draft.reason,
    )

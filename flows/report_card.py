"""The summary card of a report draft."""

from __future__ import annotations

from decimal import Decimal

from flows import report_text as T
from flows.draft import Draft
from flows.replies import SummaryCard
from plans.progress import status


def card_of(draft: Draft) -> SummaryCard:
    project = draft.project
    assert project is not None and draft.percent is not None
    number = draft.edit_number if draft.mode == "edit" and draft.edit_number else project.last_number + 1
    title = f"แก้ไขรายงานครั้งที่ {number}" if draft.mode == "edit" else f"สรุปรายงานครั้งที่ {number}"
    if draft.mode == "nothing":
        steps = T.NOTHING_WORK + (" (คงเดิมจากรายงานครั้งก่อน)" if project.last_percent is not None else "")
    elif draft.percent_typed:
        steps = "ระบุร้อยละรวมของโครงการโดยตรง"
    else:
        done = ", ".join(draft.completed) or "-"
        steps = f"เสร็จแล้ว: ขั้นที่ {done}"
        if draft.in_progress is not None:
            no, fraction = draft.in_progress
            steps += f" · ขั้นที่ {no} ยังไม่เริ่ม" if fraction == 0 else f" · กำลังทำขั้นที่ {no} ({(fraction * 100).normalize():f}%)"
    notes: list[str] = []
    if draft.mode == "shortcut" and not draft.budget and draft.obstacles is None:
        notes.append(T.SHORTCUT_NOTE)
    if not project.has_budget:
        notes.append(T.NO_BUDGET_NOTE)
    if draft.extra_reason:
        notes.append(f"รายงานเพิ่มในเดือนนี้ เพราะ: {draft.extra_reason}")
    if draft.attachments:
        notes.append("ไฟล์แนบ: " + ", ".join(a.name for a in draft.attachments))
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
        notes=tuple(notes),
    )

"""The question each state of the report conversation asks, with its buttons."""

from __future__ import annotations

from bot.render import QUICK_REPLY_LIMIT, clip
from bot.render import Choice as Button
from flows import report_text as T
from flows.draft import Draft
from flows.replies import Reply, Say
from flows.report_card import card_of
from plans.standing import baht, percent

TITLE_IN_LIST = 90  # characters of a step title in the list of steps
NAME_ON_BUTTON = 20


def prompt(draft: Draft) -> tuple[Reply, ...]:
    state, project = draft.state, draft.project
    if state == "choose":
        return (Say(_choose_text(draft), buttons(draft)),)
    if project is None:
        raise ValueError(f"state {state} needs a project")
    if state == "steps":
        return (Say(_steps_text(draft), buttons(draft)),)
    if state == "in_progress":
        current = next(s for s in project.steps if s.no not in draft.completed)
        text = T.IN_PROGRESS_ASK.format(no=current.no, title=clip(current.title, TITLE_IN_LIST),
                                        weight=percent(current.weight))  # fmt: skip
        return (Say(text, buttons(draft)),)
    if state == "reason":
        text = T.REASON_ASK.format(percent=percent(draft.percent), last=percent(project.last_percent))
        return (Say(text, buttons(draft)),)
    if state == "budget":
        left = project.remaining_budget
        extra = "\n" + T.BUDGET_ASK_LEFT.format(left=baht(left)) if left is not None else ""
        return (Say(T.BUDGET_ASK + extra, buttons(draft)),)
    if state == "budget_confirm":
        text = T.BUDGET_OVER.format(amount=baht(draft.budget), left=baht(project.remaining_budget))
        return (Say(text, buttons(draft)),)
    if state == "confirm":
        return (card_of(draft), Say(T.CONFIRM_ASK, buttons(draft)))
    asks = {"work": T.WORK_ASK, "obstacles": T.OBSTACLES_ASK, "edit_field": T.EDIT_ASK, "resume": T.RESUME_CHOICES}
    return (Say(asks[state], buttons(draft)),)


def buttons(draft: Draft) -> tuple[Button, ...]:
    def action(label: str, act: str, value: str = "", shown: str | None = None) -> Button:
        data = f"kaona=report&n={draft.nonce}&a={act}" + (f"&v={value}" if value else "")
        return Button(label=label, text=shown or label, data=data)

    back, cancel = Button("ย้อนกลับ", "ย้อนกลับ"), Button("ยกเลิก", "ยกเลิก")
    state, project = draft.state, draft.project
    if state == "choose":
        shown = draft.choices[:QUICK_REPLY_LIMIT]
        return tuple(action(f"{n}. {_short(c.name)}", "choose", str(c.id), c.name) for n, c in enumerate(shown, 1))
    if state == "steps" and project is not None:
        todo = [s for s in project.steps if s.no not in draft.completed][: QUICK_REPLY_LIMIT - 2]
        return (*(Button(f"เสร็จขั้นที่ {s.no}", s.no) for s in todo), Button("ไม่มี", "ไม่มี"), cancel)
    if state == "in_progress":
        return (Button("ยังไม่เริ่ม", "ยังไม่เริ่ม"), *(Button(f"{v}%", f"{v}%") for v in (25, 50, 75, 100)), back, cancel)
    if state in ("budget", "obstacles"):
        return (Button("ไม่มี", "ไม่มี"), back, cancel)
    if state == "budget_confirm":
        return (action("ยืนยัน", "confirm"), action("แก้ไข", "edit"), back, cancel)
    if state == "confirm":
        return (action("ยืนยัน", "confirm"), action("แก้ไข", "edit"), action("ยกเลิก", "cancel"))
    if state == "edit_field":
        return (*(Button(label, label) for label in T.EDIT_FIELDS), back)
    if state == "resume":
        return (action("ทำต่อ", "ทำต่อ"), action("เริ่มใหม่", "เริ่มใหม่"), action("ยกเลิก", "cancel"))
    return (back, cancel)


def _choose_text(draft: Draft) -> str:
    head = T.CHOOSE_EDIT if draft.edit_report is not None else T.CHOOSE
    if len(draft.choices) > QUICK_REPLY_LIMIT:
        return T.CHOOSE_MANY.format(count=len(draft.choices))
    names = "\n".join(f"{n}. {clip(c.name, TITLE_IN_LIST)}" for n, c in enumerate(draft.choices, 1))
    return f"{head}\n{names}"


def _steps_text(draft: Draft) -> str:
    project = draft.project
    assert project is not None
    lines = [T.STEPS_HEAD.format(number=project.last_number + 1, name=clip(project.name, 200))]
    planned = project.planned_now
    lines.append(T.STEPS_PLAN.format(planned=percent(planned)) if planned is not None else T.STEPS_NO_PLAN)
    if project.last_percent is not None:
        lines.append(T.STEPS_LAST.format(percent=percent(project.last_percent)))
    lines.append("")
    for s in project.steps[:40]:
        mark = "✅" if s.no in draft.completed else "⬜"
        lines.append(f"{mark} {s.no}. {clip(s.title, TITLE_IN_LIST)} ({percent(s.weight)})")
    lines.append("")
    lines.append(T.STEPS_ASK)
    return "\n".join(lines)


def _short(name: str) -> str:
    """A project name for a 20-character button: without the leading word every one has."""
    for word in ("โครงการ", "กิจกรรม"):
        if name.startswith(word) and len(name) > len(word) + 3:
            name = name[len(word) :].lstrip()
            break
    return clip(name, NAME_ON_BUTTON - 3)

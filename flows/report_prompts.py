"""The question each state of the report conversation asks, and its buttons.

Every button is a postback built by flows/postback.py: it carries the conversation's
nonce and owner, so a button pressed by someone else, or from a conversation that is
over, is recognised; ``a=say`` stands for typing the button's text.
"""

from __future__ import annotations

import os
from datetime import date

from bot.render import QUICK_REPLY_LIMIT, clip
from bot.render import Choice as Button
from flows import postback
from flows import report_text as T
from flows.draft import Choice, Draft
from flows.report_input import example_steps
from flows.report_moves import current_step, project_of
from plans.standing import baht, percent
from plans.thai import format_thai_date

TITLE_IN_LIST = 90  # characters of a step title in the list of steps
NAME_ON_BUTTON = 20
ECHO = 60  # characters of what was typed, said back in an answer
# Thai marks that cannot start a label: a shared prefix is not cut before one.
_MARKS = set("ะัาำิีึืฺุู็่้๊๋์ํ๎") | {chr(c) for c in range(0x0E47, 0x0E4F)}


def say(draft: Draft, label: str, typed: str | None = None) -> Button:
    """A button that stands for typing ``typed`` (or its label) in this conversation."""
    shown = typed or label
    data = postback.encode(postback.Postback(postback.SAY, nonce=draft.nonce, owner=draft.owner, value=shown))
    return Button(label=label, text=shown, data=data)


def back(draft: Draft) -> Button:
    return say(draft, "ย้อนกลับ")


def cancel(draft: Draft) -> Button:
    return say(draft, "ยกเลิก")


# choose -------------------------------------------------------------------------------


def ask_choose(draft: Draft) -> str:
    if draft.attach_only:
        head = T.CHOOSE_ATTACH
    else:
        head = T.CHOOSE_EDIT if draft.mode == "edit" else T.CHOOSE
    if len(draft.choices) > QUICK_REPLY_LIMIT:
        return T.CHOOSE_MANY.format(count=len(draft.choices))
    names = "\n".join(f"{n}. {clip(c.name, TITLE_IN_LIST)}" for n, c in enumerate(draft.choices, 1))
    return f"{head}\n{names}"


def buttons_choose(draft: Draft) -> tuple[Button, ...]:
    shown = draft.choices[:QUICK_REPLY_LIMIT]
    labels = choice_labels(shown)
    out = []
    for n, (c, label) in enumerate(zip(shown, labels, strict=True), 1):
        data = postback.encode(postback.Postback(postback.CHOOSE, nonce=draft.nonce, owner=draft.owner, value=str(c.id)))
        out.append(Button(label=f"{n}. {label}", text=c.name, data=data))
    return tuple(out)


def choice_labels(choices: tuple[Choice, ...]) -> list[str]:
    """Short labels that tell the projects apart: without what every name begins with
    (often "โครงการ…"), or the code when what is left says nothing."""
    room = NAME_ON_BUTTON - 3  # "1. " goes before it
    names = [c.name for c in choices]
    common = os.path.commonprefix(names) if len(names) > 1 else ""
    for word in ("โครงการ", "กิจกรรม"):
        if len(common) < len(word) and all(n.startswith(word) for n in names):
            common = word
    cut = len(common)
    while cut and any(len(n) > cut and n[cut] in _MARKS for n in names):
        cut -= 1
    labels = []
    for c in choices:
        rest = c.name[cut:].strip() if len(c.name) - cut >= 3 else c.name
        labels.append(clip(rest, room))
    if len(set(labels)) < len(labels):  # still alike: the codes tell them apart
        labels = [clip(c.code, room) if c.code else label for c, label in zip(choices, labels, strict=True)]
    return labels


# already / extra_reason -----------------------------------------------------------------


def ask_already(draft: Draft) -> str:
    project = project_of(draft)
    month = project.month_report
    assert month is not None
    if draft.reviewed:  # told just now, at the card, who saved first
        return T.OVERTAKEN_CHOICE
    fields = {"name": clip(project.name, 120), "number": month.number,
              "by": f"คุณ{month.by}" if month.by else T.BY_SOMEONE, "on": format_thai_date(date.fromisoformat(month.on))}  # fmt: skip
    return (T.ALREADY if draft.work_done is None else T.ALREADY_EXTRA_ONLY).format(**fields)


def buttons_already(draft: Draft) -> tuple[Button, ...]:
    edit = (say(draft, "แก้ไขรายงานเดิม", "แก้ไข"),) if draft.work_done is None else ()
    return (*edit, say(draft, "รายงานเพิ่ม"), cancel(draft))


# steps ---------------------------------------------------------------------------------


def ask_steps(draft: Draft) -> str:
    project = project_of(draft)
    number = draft.edit_number or project.last_number + 1
    lines = [T.STEPS_HEAD.format(number=number, name=clip(project.name, 200))]
    planned = project.planned_now
    lines.append(T.STEPS_PLAN.format(planned=percent(planned)) if planned is not None else T.STEPS_NO_PLAN)
    if project.last_percent is not None:
        lines.append(T.STEPS_LAST.format(percent=percent(project.last_percent)))
    lines.append("")
    shown = set(draft.steps_base if draft.steps_base is not None else draft.completed)
    for s in project.steps[:40]:
        mark = "✅" if s.no in shown else "⬜"
        lines.append(f"{mark} {s.no}. {clip(s.title, TITLE_IN_LIST)} ({percent(s.weight)})")
    lines.append("")
    example = example_steps(project, tuple(shown))
    lines.append((T.STEPS_ASK_EDIT if draft.reviewed or draft.mode == "edit" else T.STEPS_ASK).format(example=example))
    groups = sorted({s.no.split(".")[0] for s in project.steps if "." in s.no})
    if groups:
        lines.append(T.STEPS_GROUPS.format(group=groups[0]))
    return "\n".join(lines)


def buttons_steps(draft: Draft) -> tuple[Button, ...]:
    project = project_of(draft)
    shown = set(draft.steps_base if draft.steps_base is not None else draft.completed)
    fixed = [say(draft, "ไม่มี"), say(draft, T.NOTHING_BUTTON, T.NOTHING_TYPED), cancel(draft)]
    if draft.reviewed or draft.mode == "edit":
        fixed.insert(0, back(draft))
        done = [s for s in project.steps if s.no in shown][-3:]
        undo = [say(draft, f"ยังไม่เสร็จ {s.no}") for s in done]
    else:
        undo = []
    room = QUICK_REPLY_LIMIT - len(fixed) - len(undo)
    todo = [s for s in project.steps if s.no not in shown][:room]
    return (*(say(draft, f"เสร็จขั้นที่ {s.no}", s.no) for s in todo), *undo, *fixed)


def ask_in_progress(draft: Draft) -> str:
    current = current_step(draft)
    return T.IN_PROGRESS_ASK.format(no=current.no, title=clip(current.title, TITLE_IN_LIST), weight=percent(current.weight))


def buttons_in_progress(draft: Draft) -> tuple[Button, ...]:
    values = (say(draft, f"{v}%") for v in (25, 50, 75, 100))
    return (say(draft, "ยังไม่เริ่ม"), *values, back(draft), cancel(draft))


def ask_reason(draft: Draft) -> str:
    return T.REASON_ASK.format(percent=percent(draft.percent), last=percent(project_of(draft).last_percent))


def ask_nothing_reason(draft: Draft) -> str:
    if project_of(draft).last_percent is None:
        return T.NOTHING_REASON_ASK_FIRST
    return T.NOTHING_REASON_ASK.format(percent=percent(draft.percent))


# the fields ------------------------------------------------------------------------------


def _current(value: str | None) -> str:
    return "\n" + T.CURRENT.format(value=clip(value, 300)) if value else ""


def ask_work(draft: Draft) -> str:
    return T.WORK_ASK + _current(draft.work_done)


def buttons_work(draft: Draft) -> tuple[Button, ...]:
    keep = (say(draft, T.KEEP),) if draft.work_done else ()
    return (*keep, back(draft), cancel(draft))


def ask_budget(draft: Draft) -> str:
    left = project_of(draft).remaining_budget
    extra = "\n" + T.BUDGET_ASK_LEFT.format(left=baht(left)) if left is not None else ""
    current = _current(f"{baht(draft.budget)} บาท") if draft.budget is not None and draft.reviewed else ""
    return T.BUDGET_ASK + extra + current


def buttons_budget(draft: Draft) -> tuple[Button, ...]:
    keep = (say(draft, T.KEEP),) if draft.budget is not None and draft.reviewed else ()
    return (*keep, say(draft, "ไม่มี"), back(draft), cancel(draft))


def ask_budget_confirm(draft: Draft) -> str:
    return T.BUDGET_OVER.format(amount=baht(draft.budget), left=baht(project_of(draft).remaining_budget))


def buttons_budget_confirm(draft: Draft) -> tuple[Button, ...]:
    return (say(draft, "ยืนยัน"), say(draft, "แก้ไข"), back(draft), cancel(draft))


def ask_obstacles(draft: Draft) -> str:
    return T.OBSTACLES_ASK + (_current(draft.obstacles or "ไม่มี") if draft.reviewed else "")


def buttons_obstacles(draft: Draft) -> tuple[Button, ...]:
    keep = (say(draft, T.KEEP),) if draft.reviewed else ()
    return (*keep, say(draft, "ไม่มี"), back(draft), cancel(draft))


def ask_evidence(draft: Draft) -> str:
    if draft.attach_only:
        return T.EVIDENCE_ASK_ATTACH.format(number=draft.edit_number, name=clip(project_of(draft).name, 120))
    return T.EVIDENCE_ASK


def buttons_evidence(draft: Draft) -> tuple[Button, ...]:
    if draft.attach_only:
        return (say(draft, "เสร็จ"), cancel(draft))
    first = say(draft, "เสร็จ") if draft.attachments else say(draft, "ข้าม")
    return (first, back(draft), cancel(draft))


# the card ------------------------------------------------------------------------------------


def buttons_confirm(draft: Draft) -> tuple[Button, ...]:
    return (say(draft, "ยืนยัน"), say(draft, "แก้ไข"), cancel(draft))


def buttons_edit_field(draft: Draft) -> tuple[Button, ...]:
    fields = [label for label, state in T.EDIT_FIELDS.items() if state != "budget" or project_of(draft).has_budget]
    return (*(say(draft, label) for label in fields), back(draft))


def buttons_resume(draft: Draft) -> tuple[Button, ...]:
    return (say(draft, "ทำต่อ"), say(draft, "เริ่มใหม่"), cancel(draft))


# a command typed where free text is expected -----------------------------------------------


def ask_held(draft: Draft, command: str) -> str:
    field = T.FREE_TEXT_FIELDS.get(draft.state, T.ANSWER_FIELD)
    return T.HELD_ASK.format(text=clip(draft.held or "", ECHO), command=command, field=field)


def buttons_held(draft: Draft, command: str) -> tuple[Button, ...]:
    def button(action: str, label: str) -> Button:
        data = postback.encode(postback.Postback(action, nonce=draft.nonce, owner=draft.owner))
        return Button(label=label, text=label, data=data)

    run = clip(T.HELD_COMMAND.format(command=command), 20)
    return (button(postback.ANSWER, T.HELD_ANSWER), button(postback.COMMAND, run), cancel(draft))


def back_and_cancel(draft: Draft) -> tuple[Button, ...]:
    return (back(draft), cancel(draft))

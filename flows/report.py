"""The report conversation as a pure state machine.

    start(...)          -> Outcome   (ask which project, or Load one)
    loaded(draft, ...)  -> Outcome   (the handler loaded the project: show its steps)
    step(draft, input)  -> Outcome   (one message or button from the person)

An Outcome carries the next draft (None: the conversation is over), the replies
(plain data: Say, SummaryCard) and at most one effect for the handler: Load a
project, or Save the report. No I/O here.

States: choose -> steps -> in_progress -> [reason] -> work -> budget ->
[budget_confirm] -> obstacles -> confirm -> (save). From confirm, "แก้ไข" goes to
edit_field and back to confirm after the one field. Every state takes ยกเลิก
(cancel), ย้อนกลับ (back) and ช่วยเหลือ (help); a wrong answer re-prompts with an
example, and the third wrong answer in a row also offers to cancel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.fiscal import YearMonth
from bot.matching import Candidate, matches
from bot.plans.model import PlanStep
from bot.progress import actual_percent, status
from bot.render import Choice as Button
from bot.standing import bar, percent
from bot.thai import parse_number, to_arabic_digits
from flows import report_text as T
from flows.draft import Choice, Draft, ProjectView, StepView
from flows.report_card import Say, SummaryCard, card_of

MAX_CHOICES = 12
STRIKE_LIMIT = 3
HUNDRED = Decimal(100)
_PERCENT = re.compile(
    r"^(?:ร้อยละ\s*([0-9]+(?:\.[0-9]+)?)\s*%?|([0-9]+(?:\.[0-9]+)?)\s*(?:%|เปอร์เซ็นต์|เปอร์เซนต์|percent))$"
)
_SHORTCUT = re.compile(r"^(?P<project>.+?)\s+(?P<pct>[0-9]+(?:\.[0-9]+)?)\s*(?:%|เปอร์เซ็นต์)\s*(?P<text>.*)$", re.S)


@dataclass(frozen=True)
class Load:
    project_id: int


@dataclass(frozen=True)
class Save:
    draft: Draft


@dataclass(frozen=True)
class Outcome:
    draft: Draft | None
    replies: tuple[Say | SummaryCard, ...] = ()
    effect: Load | Save | None = None


@dataclass(frozen=True)
class Input:
    text: str = ""
    action: str | None = None  # from a button: "confirm", "edit", "cancel", ...
    nonce: str | None = None  # the conversation the button belongs to

    @property
    def word(self) -> str:
        return " ".join(to_arabic_digits(self.text).casefold().split())


# Entry ---------------------------------------------------------------------------


def start(draft: Draft, choices: Sequence[Choice], argument: str, *, in_group: bool) -> Outcome:
    """``draft`` is a fresh one (nonce, times); ``argument`` what followed "รายงาน"."""
    if not choices:
        return Outcome(None, (Say(T.NO_PROJECTS_GROUP if in_group else T.NO_PROJECTS_USER),))
    draft = draft.with_(state="choose", choices=tuple(choices))
    argument = to_arabic_digits(argument).strip()
    shortcut = _SHORTCUT.match(argument) if draft.edit_report is None else None
    if shortcut:
        found = _match(shortcut["project"], choices)
        value = Decimal(shortcut["pct"])
        if len(found) == 1 and value <= HUNDRED and shortcut["text"].strip():
            draft = draft.with_(percent=value, percent_typed=True, work_done=shortcut["text"].strip(),
                                budget=Decimal(0), notes=("shortcut",))  # fmt: skip
            return Outcome(draft, effect=Load(found[0].id))
    if argument:
        found = _match(argument, choices)
        if len(found) == 1:
            return Outcome(draft, effect=Load(found[0].id))
        if not found:
            return Outcome(draft, (_chooseprompt(draft, T.CHOOSE_NONE.format(query=argument) + "\n"),))
        return Outcome(draft.with_(choices=tuple(found)), (_chooseprompt(draft.with_(choices=tuple(found))),))
    if len(choices) == 1:
        return Outcome(draft, effect=Load(choices[0].id))
    return Outcome(draft, (_chooseprompt(draft),))


def loaded(draft: Draft, project: ProjectView) -> Outcome:
    draft = draft.with_(project=project)
    if draft.edit_report is not None or "shortcut" in draft.notes:
        if draft.percent is not None and _went_down(draft, draft.percent):
            return _to(draft, "reason", push=False)
        return _to(draft, "confirm", push=False)
    return _to(draft.with_(completed=project.last_completed), "steps", push=False)


# One message ---------------------------------------------------------------------


def step(draft: Draft, given: Input) -> Outcome:
    if given.nonce is not None and given.nonce != draft.nonce:
        return Outcome(draft, (Say(T.STALE_BUTTON), *prompt(draft)))
    word = given.action or given.word
    if word in T.CANCEL_WORDS:
        return Outcome(None, (Say(T.CANCELLED),))
    if word in T.HELP_WORDS:
        return Outcome(draft, (Say(_HELP.get(draft.state, T.CONFIRM_HELP)), *prompt(draft)))
    if word in T.BACK_WORDS:
        if not draft.history:
            return Outcome(draft, (Say(T.FIRST_STEP), *prompt(draft)))
        back = draft.with_(state=draft.history[-1], history=draft.history[:-1], strikes=0, editing=False)
        return Outcome(back, prompt(back))
    handler = _STATES[draft.state]
    result = handler(draft, given)
    if isinstance(result, str):  # a re-prompt: count the strike
        strikes = draft.strikes + 1
        again = draft.with_(strikes=strikes)
        text = result + (T.STRIKES if strikes >= STRIKE_LIMIT else "")
        return Outcome(again, (Say(text, _buttons(again)),))
    return result


def _choose(draft: Draft, given: Input) -> Outcome | str:
    found = _match(given.text, draft.choices)
    if len(found) == 1:
        return Outcome(draft.with_(strikes=0), effect=Load(found[0].id))
    if not found:
        return T.CHOOSE_NONE.format(query=given.text.strip())
    narrowed = draft.with_(choices=tuple(found), strikes=0)
    return Outcome(narrowed, (_chooseprompt(narrowed),))


def _steps(draft: Draft, given: Input) -> Outcome | str:
    project = _project(draft)
    word = given.word
    if word in T.NONE_WORDS:
        return _after_steps(draft.with_(completed=_ordered(project, draft.completed), percent_typed=False))
    typed = _typed_percent(word, project)
    if typed is not None:
        if not Decimal(0) <= typed <= HUNDRED:
            return T.PERCENT_RANGE
        return _after_percent(draft.with_(percent=typed, percent_typed=True, in_progress=None))
    numbers = _step_numbers(word, project)
    if numbers is None:
        return T.STEPS_BAD.format(text=given.text.strip())
    done = _ordered(project, set(draft.completed) | set(numbers))
    return _after_steps(draft.with_(completed=done, percent_typed=False))


def _after_steps(draft: Draft) -> Outcome:
    project = _project(draft)
    if any(s.no not in draft.completed for s in project.steps):
        return _to(draft, "in_progress")
    return _after_percent(draft.with_(percent=HUNDRED, in_progress=None))


def _in_progress(draft: Draft, given: Input) -> Outcome | str:
    word = given.word.rstrip("%").strip()
    if given.word in T.NOT_STARTED_WORDS:
        fraction = Decimal(0)
    else:
        value = parse_number(word)
        if value is None or not Decimal(0) <= value <= HUNDRED:
            return T.IN_PROGRESS_BAD
        fraction = value / HUNDRED
    project = _project(draft)
    current = _current_step(draft)
    total = actual_percent(_plan(project), set(draft.completed), (current.no, fraction))
    updated = draft.with_(in_progress=(current.no, fraction), percent=total)
    return _after_percent(updated, computed=True)


def _after_percent(draft: Draft, *, computed: bool = False) -> Outcome:
    note = (Say(T.COMPUTED.format(percent=percent(draft.percent))),) if computed else ()
    assert draft.percent is not None
    if _went_down(draft, draft.percent):
        out = _to(draft, "reason")
    else:
        out = _next_after(draft.with_(reason=None), "work")
    return Outcome(out.draft, note + out.replies, out.effect)


def _reason(draft: Draft, given: Input) -> Outcome | str:
    text = given.text.strip()
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.REASON_BAD
    return _next_after(draft.with_(reason=text), "work")


def _work(draft: Draft, given: Input) -> Outcome | str:
    text = given.text.strip()
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.WORK_BAD
    return _next_after(draft.with_(work_done=text), "budget")


def _budget(draft: Draft, given: Input) -> Outcome | str:
    if given.word in T.NONE_WORDS or given.word in ("ไม่ได้เบิก", "ไม่ได้เบิกจ่าย"):
        amount = Decimal(0)
    else:
        parsed = parse_number(given.text)
        if parsed is None or parsed < 0:
            return T.BUDGET_BAD.format(text=given.text.strip())
        amount = parsed.quantize(Decimal("0.01"))
    updated = draft.with_(budget=amount)
    left = _project(draft).remaining_budget
    if left is not None and amount > left:
        return _to(updated, "budget_confirm")
    return _next_after(updated, "obstacles")


def _budget_confirm(draft: Draft, given: Input) -> Outcome | str:
    word = given.action or given.word
    if word in T.CONFIRM_WORDS:
        return _next_after(draft, "obstacles")
    if word in T.EDIT_WORDS:
        return _to(draft, "budget")
    return T.BUDGET_OVER_HELP


def _obstacles(draft: Draft, given: Input) -> Outcome | str:
    text = given.text.strip()
    if not text:
        return T.OBSTACLES_HELP
    obstacles = None if given.word in T.NONE_WORDS else text
    return _to(draft.with_(obstacles=obstacles, editing=False), "confirm")


def _confirm(draft: Draft, given: Input) -> Outcome | str:
    word = given.action or given.word
    if word in T.CONFIRM_WORDS:
        return Outcome(draft, effect=Save(draft))
    if word in T.EDIT_WORDS:
        return _to(draft, "edit_field")
    return T.CONFIRM_BAD


def _edit_field(draft: Draft, given: Input) -> Outcome | str:
    target = T.EDIT_FIELDS.get(given.text.strip()) or (given.action if given.action in T.EDIT_FIELDS.values() else None)
    if target is None:
        return T.EDIT_BAD
    return _to(draft.with_(editing=True), target)


def _resume(draft: Draft, given: Input) -> Outcome | str:
    word = given.action or given.word
    if word in T.RESUME_WORDS:
        previous = draft.with_(state=draft.history[-1], history=draft.history[:-1], strikes=0)
        return Outcome(previous, prompt(previous))
    if word in T.RESTART_WORDS:
        fresh = Draft(nonce=draft.nonce, state="choose", started_at=draft.updated_at,
                      updated_at=draft.updated_at, choices=draft.choices)  # fmt: skip
        if draft.project is not None:
            return Outcome(fresh, effect=Load(draft.project.id))
        return Outcome(fresh, (_chooseprompt(fresh),))
    return T.RESUME_BAD


def expire(draft: Draft, *, minutes: int) -> Outcome:
    """The person comes back after the timeout: offer to resume."""
    offered = draft.with_(state="resume", history=(*draft.history, draft.state), strikes=0)
    name = draft.project.name if draft.project else "-"
    return Outcome(offered, (Say(T.RESUME_ASK.format(name=name, minutes=minutes), _buttons(offered)),))


_STATES = {
    "choose": _choose,
    "steps": _steps,
    "in_progress": _in_progress,
    "reason": _reason,
    "work": _work,
    "budget": _budget,
    "budget_confirm": _budget_confirm,
    "obstacles": _obstacles,
    "confirm": _confirm,
    "edit_field": _edit_field,
    "resume": _resume,
}
_HELP = {
    "choose": T.CHOOSE_HELP,
    "steps": T.STEPS_HELP,
    "in_progress": T.IN_PROGRESS_HELP,
    "reason": T.REASON_HELP,
    "work": T.WORK_HELP,
    "budget": T.BUDGET_HELP,
    "budget_confirm": T.BUDGET_OVER_HELP,
    "obstacles": T.OBSTACLES_HELP,
    "edit_field": T.EDIT_ASK,
    "resume": T.RESUME_BAD,
}


# Moving between states -------------------------------------------------------------


def _to(draft: Draft, state: str, *, push: bool = True) -> Outcome:
    history = (*draft.history, draft.state) if push and draft.state != state else draft.history
    moved = draft.with_(state=state, history=history, strikes=0)
    return Outcome(moved, prompt(moved))


def _next_after(draft: Draft, state: str) -> Outcome:
    """Forward to ``state``, or straight back to the summary when editing one field."""
    if draft.editing and state in ("work", "budget", "obstacles"):
        return _to(draft.with_(editing=False), "confirm")
    return _to(draft, state)


def prompt(draft: Draft) -> tuple[Say | SummaryCard, ...]:
    state = draft.state
    if state == "choose":
        return (_chooseprompt(draft),)
    project = draft.project
    if state == "steps" and project is not None:
        return (Say(_steps_text(draft), _buttons(draft)),)
    if state == "in_progress":
        current = _current_step(draft)
        text = T.IN_PROGRESS_ASK.format(no=current.no, title=current.title, weight=percent(current.weight))
        return (Say(text, _buttons(draft)),)
    if state == "reason":
        last = project.last_percent if project else None
        return (Say(T.REASON_ASK.format(percent=percent(draft.percent), last=percent(last)), _buttons(draft)),)
    if state == "work":
        return (Say(T.WORK_ASK, _buttons(draft)),)
    if state == "budget":
        left = project.remaining_budget if project else None
        extra = "\n" + T.BUDGET_ASK_LEFT.format(left=_baht(left)) if left is not None else ""
        return (Say(T.BUDGET_ASK + extra, _buttons(draft)),)
    if state == "budget_confirm":
        left = project.remaining_budget if project else None
        return (Say(T.BUDGET_OVER.format(amount=_baht(draft.budget), left=_baht(left)), _buttons(draft)),)
    if state == "obstacles":
        return (Say(T.OBSTACLES_ASK, _buttons(draft)),)
    if state == "confirm":
        return (card_of(draft), Say(T.CONFIRM_ASK, _buttons(draft)))
    if state == "edit_field":
        return (Say(T.EDIT_ASK, _buttons(draft)),)
    return (Say(T.RESUME_BAD, _buttons(draft)),)


def _buttons(draft: Draft) -> tuple[Button, ...]:
    def action(label: str, act: str) -> Button:
        return Button(label=label, text=label, data=f"kaona=report&n={draft.nonce}&a={act}")

    state = draft.state
    common = (Button(label="ย้อนกลับ", text="ย้อนกลับ"), Button(label="ยกเลิก", text="ยกเลิก"))
    if state == "steps" and draft.project is not None:
        todo = [s for s in draft.project.steps if s.no not in draft.completed][:10]
        return (*(Button(label=f"เสร็จขั้นที่ {s.no}", text=s.no) for s in todo), Button("ไม่มี", "ไม่มี"), common[1])
    if state == "in_progress":
        return (Button("ยังไม่เริ่ม", "ยังไม่เริ่ม"), *(Button(f"{v}%", f"{v}%") for v in (25, 50, 75, 100)), *common)
    if state in ("budget",):
        return (Button("ไม่มี", "ไม่มี"), *common)
    if state == "obstacles":
        return (Button("ไม่มี", "ไม่มี"), *common)
    if state in ("budget_confirm",):
        return (action("ยืนยัน", "confirm"), action("แก้ไข", "edit"), *common)
    if state == "confirm":
        return (action("ยืนยัน", "confirm"), action("แก้ไข", "edit"), action("ยกเลิก", "cancel"))
    if state == "edit_field":
        return (*(Button(label, label) for label in T.EDIT_FIELDS), Button("ย้อนกลับ", "ย้อนกลับ"))
    if state == "resume":
        return (action("ทำต่อ", "ทำต่อ"), action("เริ่มใหม่", "เริ่มใหม่"), action("ยกเลิก", "cancel"))
    if state == "choose":
        return tuple(Button(label=c.name, text=f"#{c.id}") for c in draft.choices[:MAX_CHOICES])
    return common


def _chooseprompt(draft: Draft, prefix: str = "") -> Say:
    if len(draft.choices) > MAX_CHOICES:
        return Say(prefix + T.CHOOSE_MANY.format(count=len(draft.choices)))
    return Say(prefix + T.CHOOSE, _buttons(draft.with_(state="choose")))


def _steps_text(draft: Draft) -> str:
    project = _project(draft)
    lines = [T.STEPS_HEAD.format(number=project.last_number + 1, name=project.name)]
    planned = project.planned_now
    lines.append(T.STEPS_PLAN.format(planned=percent(planned)) if planned is not None else T.STEPS_NO_PLAN)
    if project.last_percent is not None:
        lines.append(T.STEPS_LAST.format(percent=percent(project.last_percent)))
    lines.append("")
    for s in project.steps:
        mark = "✅" if s.no in draft.completed else "⬜"
        lines.append(f"{mark} {s.no}. {s.title} ({percent(s.weight)})")
    lines.append("")
    lines.append(T.STEPS_ASK)
    return "\n".join(lines)


# Reading what was typed -------------------------------------------------------------


def _typed_percent(word: str, project: ProjectView) -> Decimal | None:
    found = _PERCENT.match(word)
    if found:
        return Decimal(found.group(1) or found.group(2))
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", word) and project.step(word) is None:
        try:
            return Decimal(word)
        except InvalidOperation:
            return None
    return None


def _step_numbers(word: str, project: ProjectView) -> list[str] | None:
    word = re.sub(r"^(?:ขั้นที่|ขั้นตอนที่|ขั้น|step|steps)\s*", "", word)
    tokens = [t for t in re.split(r"[,\s]+(?:และ\s*)?|\s*และ\s*", word) if t]
    order = [s.no for s in project.steps]
    found: list[str] = []
    for token in tokens:
        span = re.fullmatch(r"([0-9.]+)-([0-9.]+)", token)
        if span and span[1] in order and span[2] in order:
            first, last = order.index(span[1]), order.index(span[2])
            if first > last:
                return None
            found.extend(order[first : last + 1])
        elif token in order:
            found.append(token)
        else:
            return None
    return found or None


def _match(text: str, choices: Sequence[Choice]) -> list[Choice]:
    by_id = {c.id: c for c in choices}
    return [by_id[c.id] for c in matches(text, [Candidate(c.id, c.name, c.code) for c in choices])]


# Small helpers -----------------------------------------------------------------------


def _project(draft: Draft) -> ProjectView:
    if draft.project is None:
        raise ValueError(f"state {draft.state} needs a project")
    return draft.project


def _plan(project: ProjectView) -> list[PlanStep]:
    return [PlanStep(s.no, s.title, s.weight, tuple(YearMonth.from_key(m) for m in s.months)) for s in project.steps]


def _current_step(draft: Draft) -> StepView:
    project = _project(draft)
    return next(s for s in project.steps if s.no not in draft.completed)


def _ordered(project: ProjectView, nos: set[str] | Sequence[str]) -> tuple[str, ...]:
    return tuple(s.no for s in project.steps if s.no in set(nos))


def _went_down(draft: Draft, value: Decimal) -> bool:
    last = _project(draft).last_percent
    return last is not None and value < last


def _baht(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}".removesuffix(".00")


def verdict(value: Decimal, planned: Decimal | None) -> str:
    return status(value, planned).label_th


def saved_text(name: str, number: int, value: Decimal, planned: Decimal | None, *, edited: bool) -> str:
    template = T.UPDATED if edited else T.SAVED
    return template.format(number=number, name=name, bar=bar(value), percent=percent(value), verdict=verdict(value, planned))



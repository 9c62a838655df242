"""The report conversation as a pure state machine.

    start(draft, choices, argument) -> Outcome   (ask which project, or Load one)
    loaded(draft, project)          -> Outcome   (the handler loaded it: show its steps)
    step(draft, input)              -> Outcome   (one message or button from the person)

An Outcome carries the next draft (None: the conversation is over), the replies
(plain data: Say, SummaryCard) and at most one effect for the handler: Load a
project, or Save the report. No I/O here.

States: choose -> steps -> in_progress -> [reason] -> work -> budget ->
[budget_confirm] -> obstacles -> confirm -> (save). From confirm, "แก้ไข" goes to
edit_field and back to confirm after the one field. Every state takes ยกเลิก
(cancel), ย้อนกลับ (back) and ช่วยเหลือ (help); a wrong answer re-prompts with an
example, and the third wrong answer in a row also offers to cancel (in a group,
where chatter is likely, the third wrong answer while choosing ends it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from flows import report_text as T
from flows.draft import Choice, Draft, ProjectView, StepView
from flows.replies import Reply, Say
from flows.report_input import (
    HUNDRED,
    Ambiguous,
    Input,
    amount,
    match_choices,
    shortcut,
    step_numbers,
    typed_percent,
)
from flows.report_prompts import prompt
from plans.fiscal import YearMonth
from plans.model import PlanStep
from plans.progress import actual_percent
from plans.standing import bar, percent

STRIKE_LIMIT = 3
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Load:
    project_id: int


@dataclass(frozen=True)
class Save:
    draft: Draft


@dataclass(frozen=True)
class Outcome:
    draft: Draft | None
    replies: tuple[Reply, ...] = ()
    effect: Load | Save | None = None


# Entry ---------------------------------------------------------------------------


def start(draft: Draft, choices: Sequence[Choice], argument: str) -> Outcome:
    """``draft`` is a fresh one (nonce, times, in_group); ``argument`` what followed "รายงาน"."""
    if not choices:
        return Outcome(None, (Say(T.NO_PROJECTS_GROUP if draft.in_group else T.NO_PROJECTS_USER),))
    draft = draft.with_(state="choose", choices=tuple(choices))
    quick = shortcut(argument) if draft.edit_report is None else None
    if quick is not None and quick.percent <= HUNDRED:
        found = match_choices(quick.project, choices)
        if len(found) == 1:
            draft = draft.with_(percent=quick.percent, percent_typed=True, work_done=quick.text,
                                budget=Decimal(0), notes=("shortcut",))  # fmt: skip
            return Outcome(draft, effect=Load(found[0].id))
    if argument.strip():
        found = match_choices(argument, choices)
        if len(found) == 1:
            return Outcome(draft, effect=Load(found[0].id))
        if not found:
            return Outcome(draft, (Say(T.CHOOSE_NONE.format(query=argument.strip())), *prompt(draft)))
        draft = draft.with_(choices=tuple(found))
    elif len(choices) == 1:
        return Outcome(draft, effect=Load(choices[0].id))
    return Outcome(draft, prompt(draft))


def loaded(draft: Draft, project: ProjectView) -> Outcome:
    """The project is known: its steps (or, for a shortcut or an edit, the card)."""
    draft = draft.with_(project=project, history=(), strikes=0)
    if draft.edit_report or "shortcut" in draft.notes:
        if not draft.edit_report:  # the shortcut gives a percent: the steps known so far stay
            draft = draft.with_(completed=project.last_completed)
        at_steps = draft.with_(state="steps")
        if draft.percent is not None and _went_down(draft, draft.percent):
            return _to(at_steps, "reason")
        return _to(at_steps, "confirm")
    return _to(draft.with_(state="steps", completed=project.last_completed), "steps", push=False)


def expire(draft: Draft, *, minutes: int) -> Outcome:
    """The person comes back after the timeout: offer to resume."""
    offered = draft.with_(state="resume", history=(*draft.history, draft.state), strikes=0)
    name = draft.project.name if draft.project else T.NO_PROJECT_YET
    return Outcome(offered, (Say(T.RESUME_ASK.format(name=name, minutes=minutes)), *prompt(offered)))


# One message ---------------------------------------------------------------------


def step(draft: Draft, given: Input) -> Outcome:
    if given.nonce is not None and given.nonce != draft.nonce:
        return Outcome(draft, (Say(T.STALE_BUTTON), *prompt(draft)))
    word = given.action or given.word
    if not word:  # a button with nothing for this state, an empty message
        return Outcome(draft, prompt(draft))
    if word in T.CANCEL_WORDS:
        return Outcome(None, (Say(T.CANCELLED),))
    if word in T.HELP_WORDS:
        return Outcome(draft, (Say(HELP[draft.state]), *prompt(draft)))
    if word in T.BACK_WORDS:
        if not draft.history:
            return Outcome(draft, (Say(T.FIRST_STEP), *prompt(draft)))
        back = draft.with_(state=draft.history[-1], history=draft.history[:-1], strikes=0, editing=False)
        return Outcome(back, prompt(back))
    result = STATES[draft.state](draft, given)
    if isinstance(result, Outcome):
        return result
    strikes = draft.strikes + 1
    if strikes >= STRIKE_LIMIT and draft.in_group and draft.state in ("choose", "resume"):
        return Outcome(None, (Say(T.GAVE_UP),))
    again = draft.with_(strikes=strikes)
    text = result + (T.STRIKES if strikes >= STRIKE_LIMIT else "")
    return Outcome(again, (Say(text), *prompt(again)))


def _choose(draft: Draft, given: Input) -> Outcome | str:
    if given.action == "choose" and given.value and given.value.isdigit():
        picked = [c for c in draft.choices if c.id == int(given.value)]
        if picked:
            return Outcome(draft.with_(strikes=0), effect=Load(picked[0].id))
    found = match_choices(given.text, draft.choices)
    if len(found) == 1:
        return Outcome(draft.with_(strikes=0), effect=Load(found[0].id))
    if not found:
        return T.CHOOSE_NONE.format(query=given.text.strip())
    narrowed = draft.with_(choices=tuple(found), strikes=0)
    return Outcome(narrowed, prompt(narrowed))


def _steps(draft: Draft, given: Input) -> Outcome | str:
    project = _project(draft)
    word = given.word
    before = set(project.last_completed)  # what the last report said; this answer adds to it
    if word in T.NONE_WORDS:
        return _after_steps(draft.with_(completed=_ordered(project, before), percent_typed=False))
    try:
        typed = typed_percent(word, project)
    except Ambiguous:
        return T.AMBIGUOUS.format(number=word, last=project.steps[-1].no)
    if typed is not None:
        if typed > HUNDRED:
            return T.PERCENT_RANGE
        return _after_percent(draft.with_(percent=typed, percent_typed=True, in_progress=None,
                                          completed=_ordered(project, before)))  # fmt: skip
    numbers = step_numbers(word, project)
    if numbers is None:
        return T.STEPS_BAD.format(text=given.text.strip())
    return _after_steps(draft.with_(completed=_ordered(project, before | set(numbers)), percent_typed=False))


def _after_steps(draft: Draft) -> Outcome:
    if any(s.no not in draft.completed for s in _project(draft).steps):
        return _to(draft, "in_progress")
    return _after_percent(draft.with_(percent=HUNDRED, in_progress=None))


def _in_progress(draft: Draft, given: Input) -> Outcome | str:
    if given.word in T.NOT_STARTED_WORDS:
        value = Decimal(0)
    else:
        parsed = amount(given.word.rstrip("%").strip())
        if parsed is None or parsed > HUNDRED:
            return T.IN_PROGRESS_BAD
        value = parsed
    project = _project(draft)
    current = _current_step(draft)
    if value == HUNDRED:  # finished after all: count it as a completed step
        return _after_steps(draft.with_(completed=_ordered(project, {*draft.completed, current.no})))
    fraction = value / HUNDRED
    total = actual_percent(_plan(project), set(draft.completed), (current.no, fraction)).quantize(CENT)
    return _after_percent(draft.with_(in_progress=(current.no, fraction), percent=total), computed=True)


def _after_percent(draft: Draft, *, computed: bool = False) -> Outcome:
    assert draft.percent is not None
    note = (Say(T.COMPUTED.format(percent=percent(draft.percent), bar=bar(draft.percent))),) if computed else ()
    if _went_down(draft, draft.percent):
        out = _to(draft, "reason")
    else:
        out = _next_after(draft.with_(reason=None), "work")
    return Outcome(out.draft, note + out.replies, out.effect)


def _reason(draft: Draft, given: Input) -> Outcome | str:
    text = given.text.strip()
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.REASON_BAD
    draft = draft.with_(reason=text)
    if draft.edit_report or "shortcut" in draft.notes:
        return _to(draft, "confirm")  # the rest was given already
    return _next_after(draft, "work")


def _work(draft: Draft, given: Input) -> Outcome | str:
    text = given.text.strip()
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.WORK_BAD
    return _next_after(draft.with_(work_done=text), "budget")


def _budget(draft: Draft, given: Input) -> Outcome | str:
    paid = Decimal(0) if given.word in T.NONE_WORDS | T.NOT_PAID_WORDS else amount(given.text)
    if paid is None:
        return T.BUDGET_BAD.format(text=given.text.strip()[:50])
    updated = draft.with_(budget=paid)
    left = _project(draft).remaining_budget
    if left is not None and paid > left:
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
    obstacles = None if given.word in T.NONE_WORDS else given.text.strip()
    return _to(draft.with_(obstacles=obstacles, editing=False), "confirm")


def _confirm(draft: Draft, given: Input) -> Outcome | str:
    word = given.action or given.word
    if word in T.CONFIRM_WORDS:
        return Outcome(draft, effect=Save(draft))
    if word in T.EDIT_WORDS:
        return _to(draft, "edit_field")
    return T.CONFIRM_BAD


def _edit_field(draft: Draft, given: Input) -> Outcome | str:
    target = T.EDIT_FIELDS.get(given.text.strip())
    if target is None:
        return T.EDIT_BAD
    return _to(draft.with_(editing=True), target)


def _resume(draft: Draft, given: Input) -> Outcome | str:
    word = given.action or given.word
    if word in T.RESUME_WORDS:
        previous = draft.with_(state=draft.history[-1], history=draft.history[:-1], strikes=0)
        return Outcome(previous, prompt(previous))
    if word in T.RESTART_WORDS:
        fresh = Draft(nonce=draft.nonce, state="choose", started_at=draft.updated_at, updated_at=draft.updated_at,
                      choices=draft.choices, in_group=draft.in_group,
                      edit_report=0 if draft.edit_report is not None else None)  # fmt: skip
        if draft.project is not None:
            return Outcome(fresh, effect=Load(draft.project.id))
        return Outcome(fresh, prompt(fresh))
    return T.RESUME_BAD


STATES: dict[str, Callable[[Draft, Input], Outcome | str]] = {
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
HELP = {
    "choose": T.CHOOSE_HELP,
    "steps": T.STEPS_HELP,
    "in_progress": T.IN_PROGRESS_HELP,
    "reason": T.REASON_HELP,
    "work": T.WORK_HELP,
    "budget": T.BUDGET_HELP,
    "budget_confirm": T.BUDGET_OVER_HELP,
    "obstacles": T.OBSTACLES_HELP,
    "confirm": T.CONFIRM_HELP,
    "edit_field": T.EDIT_HELP,
    "resume": T.RESUME_HELP,
}
# States where any text is an answer: commands typed there are part of it.
FREE_TEXT = frozenset({"reason", "work", "obstacles"})


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


def _project(draft: Draft) -> ProjectView:
    if draft.project is None:
        raise ValueError(f"state {draft.state} needs a project")
    return draft.project


def _plan(project: ProjectView) -> list[PlanStep]:
    return [PlanStep(s.no, s.title, s.weight, tuple(YearMonth.from_key(m) for m in s.months)) for s in project.steps]


def _current_step(draft: Draft) -> StepView:
    return next(s for s in _project(draft).steps if s.no not in draft.completed)


def _ordered(project: ProjectView, nos: set[str]) -> tuple[str, ...]:
    return tuple(s.no for s in project.steps if s.no in nos)


def _went_down(draft: Draft, value: Decimal) -> bool:
    last = _project(draft).last_percent
    return last is not None and value < last


def saved_text(name: str, number: int, value: Decimal, verdict: str, *, edited: bool) -> str:
    template = T.UPDATED if edited else T.SAVED
    return template.format(number=number, name=name, bar=bar(value), percent=percent(value), verdict=verdict)

"""Each state's answer: ``handle(draft, input) -> Outcome``, or a string to re-prompt with."""

from __future__ import annotations

from decimal import Decimal

from bot.render import clip
from flows import report_text as T
from flows.draft import Draft
from flows.replies import Say
from flows.report_input import (
    HUNDRED,
    Ambiguous,
    Input,
    amount,
    example_steps,
    match_choices,
    step_answer,
    typed_percent,
)
from flows.report_moves import (
    CENT,
    Attach,
    Load,
    Outcome,
    Save,
    current_step,
    forward,
    ordered,
    plan_of,
    project_of,
    to,
    went_down,
)
from plans.progress import actual_percent
from plans.standing import bar, percent
from plans.thai import parse_whole

Answer = Outcome | str
ECHO = 60  # characters of what was typed, said back in a re-prompt


def choose(draft: Draft, given: Input) -> Answer:
    if given.action == "choose":
        chosen = parse_whole(given.value)
        picked = [c for c in draft.choices if c.id == chosen]
        if picked:
            return Outcome(draft.with_(strikes=0), effect=Load(picked[0].id))
        return T.CHOOSE_GONE  # a forged button, or one from before the list was narrowed
    found = match_choices(given.text, draft.choices)
    if len(found) == 1:
        return Outcome(draft.with_(strikes=0), effect=Load(found[0].id))
    if not found:
        return T.CHOOSE_NONE.format(query=clip(given.text.strip(), ECHO))
    return Outcome(draft.with_(choices=tuple(found), strikes=0), ask=True)


def already(draft: Draft, given: Input) -> Answer:
    word = given.action or given.word
    if word in T.EXTRA_WORDS:
        return to(draft, "extra_reason")
    if word in T.EDIT_WORDS and draft.work_done is None:
        fresh = draft.with_(mode="edit", completed=(), percent=None, in_progress=None, history=(), strikes=0)
        return Outcome(fresh, effect=Load(project_of(draft).id))
    return T.ALREADY_BAD if draft.work_done is None else T.ALREADY_BAD_EXTRA


def extra_reason(draft: Draft, given: Input) -> Answer:
    text = given.answer
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.EXTRA_REASON_BAD
    return after_load(draft.with_(extra_reason=text))


def after_load(draft: Draft) -> Outcome:
    """Where a loaded project leads, once any report of this month has been dealt with."""
    if draft.reviewed:  # told at the card that someone else had reported meanwhile
        return to(draft, "confirm")
    if draft.mode == "nothing":
        return to(draft, "nothing_reason")
    if draft.mode in ("edit", "shortcut"):
        if draft.percent is not None and went_down(draft, draft.percent):
            return to(draft, "reason")
        return to(draft, "confirm")
    return to(draft, "steps")


def steps(draft: Draft, given: Input) -> Answer:
    project = project_of(draft)
    word = given.word
    base = set(draft.steps_base if draft.steps_base is not None else project.last_completed)
    if word in T.NOTHING_WORDS:
        return nothing(draft)
    if word in T.NONE_WORDS:
        return after_steps(draft.with_(completed=ordered(project, base), percent_typed=False))
    answer = step_answer(word, project)
    if answer is None:
        try:
            typed = typed_percent(word, project)
        except Ambiguous:
            return T.AMBIGUOUS.format(number=word, last=project.steps[-1].no)
        if typed is None:
            return T.STEPS_BAD.format(text=clip(given.text.strip(), ECHO), example=example_steps(project, draft.completed))
        if typed > HUNDRED:
            return T.PERCENT_RANGE
        return after_percent(draft.with_(percent=typed, percent_typed=True, in_progress=None,
                                         completed=ordered(project, base)))  # fmt: skip
    done = (base | set(answer.ticked)) - set(answer.unticked)
    return after_steps(draft.with_(completed=ordered(project, done), percent_typed=False))


def nothing(draft: Draft) -> Outcome:
    """No progress this month: the figure and steps of last time, and a reason."""
    project = project_of(draft)
    kept = draft.with_(mode="nothing", completed=project.last_completed, in_progress=None,
                       percent=project.last_percent or Decimal(0), percent_typed=True,
                       work_done=None, budget=Decimal(0), obstacles=None, reason=None)  # fmt: skip
    return to(kept, "nothing_reason")


def nothing_reason(draft: Draft, given: Input) -> Answer:
    text = given.answer
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.NOTHING_REASON_BAD
    return to(draft.with_(work_done=T.NOTHING_WORK, obstacles=text), "confirm")


def after_steps(draft: Draft) -> Outcome:
    if any(s.no not in draft.completed for s in project_of(draft).steps):
        return to(draft, "in_progress")
    return after_percent(draft.with_(percent=HUNDRED, in_progress=None))


def in_progress(draft: Draft, given: Input) -> Answer:
    if given.word in T.NOT_STARTED_WORDS:
        value = Decimal(0)
    else:
        parsed = amount(given.word.rstrip("%").strip())
        if parsed is None or parsed > HUNDRED:
            return T.IN_PROGRESS_BAD
        value = parsed
    project = project_of(draft)
    current = current_step(draft)
    if value == HUNDRED:  # finished after all: count it as a completed step
        return after_steps(draft.with_(completed=ordered(project, {*draft.completed, current.no})))
    fraction = value / HUNDRED
    total = actual_percent(plan_of(project), set(draft.completed), (current.no, fraction)).quantize(CENT)
    return after_percent(draft.with_(in_progress=(current.no, fraction), percent=total), computed=True)


def after_percent(draft: Draft, *, computed: bool = False) -> Outcome:
    assert draft.percent is not None
    note = (Say(T.COMPUTED.format(percent=percent(draft.percent), bar=bar(draft.percent))),) if computed else ()
    if went_down(draft, draft.percent):
        return to(draft, "reason", said=note)
    return forward(draft.with_(reason=None), "work", said=note)


def reason(draft: Draft, given: Input) -> Answer:
    text = given.answer
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.REASON_BAD
    return forward(draft.with_(reason=text), "work")


def work(draft: Draft, given: Input) -> Answer:
    if given.word in T.KEEP_WORDS and draft.work_done:
        return forward(draft, "budget")
    text = given.answer
    if len(text) < 2 or given.word in T.NONE_WORDS:
        return T.WORK_BAD
    return forward(draft.with_(work_done=text), "budget")


def budget(draft: Draft, given: Input) -> Answer:
    if given.word in T.KEEP_WORDS and draft.budget is not None:
        return forward(draft, "obstacles")
    paid = Decimal(0) if given.word in T.NONE_WORDS | T.NOT_PAID_WORDS else amount(given.text)
    if paid is None:
        return T.BUDGET_BAD.format(text=given.text.strip()[:50])
    updated = draft.with_(budget=paid)
    left = project_of(draft).remaining_budget
    if left is not None and paid > left:
        return to(updated, "budget_confirm")
    return forward(updated, "obstacles")


def budget_confirm(draft: Draft, given: Input) -> Answer:
    word = given.action or given.word
    if word in T.CONFIRM_WORDS:
        return forward(draft, "obstacles")
    if word in T.EDIT_WORDS:
        return to(draft, "budget")
    return T.BUDGET_OVER_HELP


def obstacles(draft: Draft, given: Input) -> Answer:
    if given.word in T.KEEP_WORDS and draft.reviewed:
        return to(draft, "confirm")
    found = None if given.word in T.NONE_WORDS else given.answer
    return forward(draft.with_(obstacles=found), "evidence")


def evidence(draft: Draft, given: Input) -> Answer:
    word = given.action or given.word
    if word in T.DONE_WORDS | T.SKIP_WORDS | T.NONE_WORDS:
        if draft.attach_only:
            return Outcome(draft, effect=Attach(draft)) if draft.attachments else Outcome(None, (Say(T.NO_FILES),))
        return to(draft, "confirm")
    return T.EVIDENCE_BAD


def confirm(draft: Draft, given: Input) -> Answer:
    word = given.action or given.word
    if word in T.CONFIRM_WORDS:
        return Outcome(draft, effect=Save(draft))
    if word in T.EDIT_WORDS:
        return to(draft, "edit_field")
    return T.CONFIRM_BAD


def edit_field(draft: Draft, given: Input) -> Answer:
    target = T.EDIT_FIELDS.get(given.text.strip())
    if target is None:
        return T.EDIT_BAD
    # Back from the field goes to the card, not to this list.
    at_card = draft.with_(state="confirm", history=draft.history[:-1] if draft.history else ())
    return to(at_card, target)


def resume(draft: Draft, given: Input) -> Answer:
    word = given.action or given.word
    if word in T.RESUME_WORDS:
        previous = draft.with_(state=draft.history[-1], history=draft.history[:-1], strikes=0)
        return Outcome(previous, ask=True)
    if word in T.RESTART_WORDS:
        fresh = Draft(nonce=draft.nonce, state="choose", started_at=draft.updated_at, updated_at=draft.updated_at,
                      mode="edit" if draft.mode == "edit" else "new", owner=draft.owner,
                      owner_name=draft.owner_name, choices=draft.choices, in_group=draft.in_group,
                      attach_only=draft.attach_only)  # fmt: skip
        if draft.project is not None:
            return Outcome(fresh, effect=Load(draft.project.id))
        return Outcome(fresh, ask=True)
    return T.RESUME_BAD

"""The report conversation as a pure state machine.

    start(draft, choices, argument)     -> Outcome  (ask which project, or Load one)
    loaded(draft, project)              -> Outcome  (the handler loaded it: on to its steps)
    receive(draft, input, idle, ttl)    -> Outcome  (one message or button, with the timeout rule)
    attached(draft, attachment)         -> Outcome  (a photo or file the handler stored)
    overtaken(draft, month_report)      -> Outcome  (someone saved this month's report first)

An Outcome carries the next draft (None: the conversation is over), the replies
(plain data: Say, SummaryCard) and at most one effect for the handler: Load a
project, Save the report, or Attach files to this month's report. No I/O here.

Every state is one record in ``STATES`` (its answer, question, buttons, help, and
whether any text is an answer there). The path: choose -> [already -> extra_reason]
-> steps -> in_progress -> [reason] -> work -> [budget -> budget_confirm] ->
obstacles -> evidence -> confirm -> (save); "ไม่มีความก้าวหน้าเดือนนี้" goes from
steps to nothing_reason and the card. From the card, "แก้ไข" -> edit_field -> the one
field -> the card. Every state takes ยกเลิก, ย้อนกลับ and ช่วยเหลือ; a wrong answer
re-prompts with an example, the third in a row also offers to cancel (in a group,
the third wrong answer while choosing ends it: it is most likely chatter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.render import Choice as Button
from bot.render import clip
from flows import postback
from flows import report_answers as A
from flows import report_prompts as P
from flows import report_text as T
from flows.draft import STATE_NAMES, Attachment, Choice, Draft, MonthReport, ProjectView, StateName
from flows.replies import Reply, Say
from flows.report_card import card_of
from flows.report_input import HUNDRED, Input, match_choices, shortcut
from flows.report_moves import Attach, Load, Outcome, RunCommand, Save, to
from plans.matching import normalise
from plans.standing import bar, percent

__all__ = ["Attach", "Load", "Outcome", "RunCommand", "Save", "STATES", "start", "loaded", "receive", "step",
           "prompt"]  # fmt: skip

STRIKE_LIMIT = 3
MAX_FILES = 10


@dataclass(frozen=True)
class State:
    handle: Callable[[Draft, Input], Outcome | str]
    ask: Callable[[Draft], str]
    buttons: Callable[[Draft], tuple[Button, ...]]
    help: str
    free_text: bool = False  # any text is an answer here: commands typed are part of it
    card: bool = False  # the summary card comes before the question


def _fixed(text: str) -> Callable[[Draft], str]:
    return lambda draft: text


STATES: dict[StateName, State] = {
    "choose": State(A.choose, P.ask_choose, P.buttons_choose, T.CHOOSE_HELP),
    "already": State(A.already, P.ask_already, P.buttons_already, T.ALREADY_HELP),
    "extra_reason": State(A.extra_reason, _fixed(T.EXTRA_REASON_ASK), P.back_and_cancel, T.EXTRA_REASON_HELP,
                          free_text=True),  # fmt: skip
    "steps": State(A.steps, P.ask_steps, P.buttons_steps, T.STEPS_HELP),
    "in_progress": State(A.in_progress, P.ask_in_progress, P.buttons_in_progress, T.IN_PROGRESS_HELP),
    "reason": State(A.reason, P.ask_reason, P.back_and_cancel, T.REASON_HELP, free_text=True),
    "nothing_reason": State(A.nothing_reason, P.ask_nothing_reason, P.back_and_cancel, T.NOTHING_REASON_HELP,
                            free_text=True),  # fmt: skip
    "work": State(A.work, P.ask_work, P.buttons_work, T.WORK_HELP, free_text=True),
    "budget": State(A.budget, P.ask_budget, P.buttons_budget, T.BUDGET_HELP),
    "budget_confirm": State(A.budget_confirm, P.ask_budget_confirm, P.buttons_budget_confirm, T.BUDGET_OVER_HELP),
    "obstacles": State(A.obstacles, P.ask_obstacles, P.buttons_obstacles, T.OBSTACLES_HELP, free_text=True),
    "evidence": State(A.evidence, P.ask_evidence, P.buttons_evidence, T.EVIDENCE_HELP),
    "confirm": State(A.confirm, _fixed(T.CONFIRM_ASK), P.buttons_confirm, T.CONFIRM_HELP, card=True),
    "edit_field": State(A.edit_field, _fixed(T.EDIT_ASK), P.buttons_edit_field, T.EDIT_HELP),
    "resume": State(A.resume, _fixed(T.RESUME_CHOICES), P.buttons_resume, T.RESUME_HELP),
}
if set(STATES) != set(STATE_NAMES):  # a state without its record fails at import, not mid-report
    raise RuntimeError(f"report states without a record: {set(STATE_NAMES) ^ set(STATES)}")
FREE_TEXT = frozenset(name for name, state in STATES.items() if state.free_text)


def prompt(draft: Draft) -> tuple[Reply, ...]:
    state = STATES[draft.state]
    question = Say(state.ask(draft), state.buttons(draft))
    return (card_of(draft), question) if state.card else (question,)


def _finish(outcome: Outcome) -> Outcome:
    if outcome.ask and outcome.draft is not None:
        return replace(outcome, replies=(*outcome.replies, *prompt(outcome.draft)), ask=False)
    return outcome


# Entry ---------------------------------------------------------------------------


def start(draft: Draft, choices: Sequence[Choice], argument: str) -> Outcome:
    """``draft`` is a fresh one (nonce, times, owner, mode); ``argument`` what followed the command."""
    if not choices:
        return Outcome(None, (Say(T.NO_PROJECTS_GROUP if draft.in_group else T.NO_PROJECTS_USER),))
    draft = draft.with_(state="choose", choices=tuple(choices))
    quick = shortcut(argument) if draft.mode == "new" and not draft.attach_only else None
    if quick is not None and quick.percent <= HUNDRED:
        found = match_choices(quick.project, choices)
        if len(found) == 1:
            draft = draft.with_(mode="shortcut", percent=quick.percent, percent_typed=True, work_done=quick.text,
                                budget=Decimal(0))  # fmt: skip
            return Outcome(draft, effect=Load(found[0].id))
    if argument.strip():
        found = match_choices(argument, choices)
        if len(found) == 1:
            return Outcome(draft, effect=Load(found[0].id))
        if not found:
            return Outcome(draft, (Say(T.CHOOSE_NONE.format(query=clip(argument.strip(), P.ECHO))), *prompt(draft)))
        draft = draft.with_(choices=tuple(found))
    elif len(choices) == 1:
        return Outcome(draft, effect=Load(choices[0].id))
    return Outcome(draft, prompt(draft))


def loaded(draft: Draft, project: ProjectView) -> Outcome:
    """The project is known (for an edit, with the edited report's figures in the draft)."""
    draft = draft.with_(project=project, history=(), strikes=0)
    if draft.attach_only:
        return _finish(to(draft, "evidence", push=False))
    if draft.mode != "edit":
        draft = draft.with_(completed=project.last_completed)
    if draft.mode != "edit" and project.month_report is not None and draft.extra_reason is None:
        return _finish(to(draft, "already", push=False))
    if draft.mode == "new":
        return _finish(to(draft, "steps", push=False))
    return _finish(A.after_load(draft.with_(state="steps")))


def overtaken(draft: Draft, month: MonthReport) -> Outcome:
    """At the card, someone else's report of this month was saved first: say so plainly
    and let the person add theirs as an extra report (with a reason) or cancel."""
    project = draft.project
    assert project is not None
    view = replace(project, month_report=month, last_number=max(project.last_number, month.number))
    moved = draft.with_(project=view)
    if draft.mode == "nothing" and month.percent is not None:  # "the same as last time" is theirs now
        view = replace(view, last_percent=month.percent, last_completed=month.completed)
        moved = draft.with_(project=view, percent=month.percent, completed=month.completed)
    told = Say(T.OVERTAKEN.format(by=f"คุณ{month.by}" if month.by else T.BY_SOMEONE, number=month.number,
                                  name=project.name))  # fmt: skip
    return _finish(to(moved, "already", said=(told,)))


def expire(draft: Draft, *, minutes: int) -> Outcome:
    """The person comes back after the timeout: offer to resume."""
    offered = draft.with_(state="resume", history=(*draft.history, draft.state), strikes=0)
    name = draft.project.name if draft.project else T.NO_PROJECT_YET
    return Outcome(offered, (Say(T.RESUME_ASK.format(name=name, minutes=minutes)), *prompt(offered)))


def attached(draft: Draft, file: Attachment) -> Outcome:
    """A photo or file of the reporter's, stored by the handler: kept with the draft."""
    if len(draft.attachments) >= MAX_FILES:
        return Outcome(draft, (Say(T.FILES_FULL.format(limit=MAX_FILES)),))
    kept = draft.with_(attachments=(*draft.attachments, file))
    told = Say(T.FILE_RECEIVED.format(count=len(kept.attachments)))
    return Outcome(kept, (told, *prompt(kept)))


# One message ---------------------------------------------------------------------


def receive(draft: Draft, given: Input, *, idle: float, ttl: int) -> Outcome:
    """One message or button, ``idle`` seconds after the last: past ``ttl`` the person is
    first asked whether to resume (cancel and help still work as typed)."""
    word = given.action or given.word
    if idle > ttl and draft.state != "resume" and word not in T.CANCEL_WORDS | T.HELP_WORDS:
        return expire(draft, minutes=max(1, ttl // 60))
    return step(draft, given)


def step(draft: Draft, given: Input) -> Outcome:
    if given.nonce is not None and given.nonce != draft.nonce:
        return Outcome(draft, (Say(T.STALE_BUTTON), *prompt(draft)))
    if given.action in (postback.ANSWER, postback.COMMAND):
        return _held(draft, given.action)
    if draft.held is not None:  # anything else than the two buttons: the held command is dropped
        draft = draft.with_(held=None)
    word = given.action or given.word
    if not word:  # a button with nothing for this state, an empty message
        return Outcome(draft, prompt(draft))
    if word in T.CANCEL_WORDS:
        return Outcome(None, (Say(T.CANCELLED),))
    if word in T.HELP_WORDS:
        return Outcome(draft, (Say(STATES[draft.state].help), *prompt(draft)))
    if word in T.BACK_WORDS:
        history = draft.history
        while history and not _applies(draft, history[-1]):
            history = history[:-1]
        if not history:
            return Outcome(draft, (Say(T.FIRST_STEP), *prompt(draft)))
        back = draft.with_(state=history[-1], history=history[:-1], strikes=0)
        return Outcome(back, prompt(back))
    if given.command and STATES[draft.state].free_text:
        held = draft.with_(held=given.answer)
        return Outcome(held, (Say(P.ask_held(held, given.command), P.buttons_held(held, given.command)),))
    result = STATES[draft.state].handle(draft, given)
    if isinstance(result, Outcome):
        return _finish(result)
    strikes = draft.strikes + 1
    if strikes >= STRIKE_LIMIT and draft.in_group and draft.state in ("choose", "resume"):
        return Outcome(None, (Say(T.GAVE_UP),))
    again = draft.with_(strikes=strikes)
    text = result + (T.STRIKES if strikes >= STRIKE_LIMIT else "")
    return Outcome(again, (Say(text), *prompt(again)))


def _applies(draft: Draft, state: StateName) -> bool:
    """Whether going back to ``state`` still asks something: the step in progress is gone
    once "100%" counted it as completed (then back goes on to the steps)."""
    if state == "in_progress":
        return draft.project is not None and any(s.no not in draft.completed for s in draft.project.steps)
    return True


def _held(draft: Draft, action: str) -> Outcome:
    """The answer to "is it the answer or the command?": the typed text goes to the state
    as its answer, or the command runs (ยกเลิก here; any other by the handler)."""
    typed = draft.held
    if typed is None:  # pressed twice, or after answering otherwise
        return Outcome(draft, (Say(T.STALE_BUTTON), *prompt(draft)))
    draft = draft.with_(held=None)
    if action == postback.ANSWER:
        return step(draft, Input(text=typed))
    if normalise(typed).split(" ", 1)[0] in T.CANCEL_WORDS:
        return Outcome(None, (Say(T.CANCELLED),))
    return Outcome(draft, effect=RunCommand(typed))


def saved_text(name: str, number: int, value: Decimal, verdict: str, *, edited: bool) -> str:
    template = T.UPDATED if edited else T.SAVED
    return template.format(number=number, name=name, bar=bar(value), percent=percent(value), verdict=verdict)

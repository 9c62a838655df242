"""Use case: the monthly progress report, a conversation per person per chat.

The conversation itself is the pure machine in flows/report.py; this module
loads what it needs, keeps its draft in the state store (Redis or SQL) between
messages, and saves the report in the event's transaction.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.cards import summary_card
from bot.events import IncomingEvent
from bot.render import addressed, fit, text
from flows import postback
from flows import report as flow
from flows import report_text as T
from flows.draft import Choice, Draft, Mode
from flows.replies import Reply, Say, SummaryCard
from flows.report_input import Input, match_choices, shortcut
from handlers import evidence
from handlers.commands import ATTACH, CANCEL, EDIT_REPORT, REPORT
from handlers.deps import Deps, Handler, Message, viewer_of
from handlers.queries import current_year_projects
from handlers.report_store import load_project, save_attachments, save_report
from storage import access
from storage.access_models import Person

log = logging.getLogger(__name__)
KEEP_DRAFTS = 24 * 3600  # an abandoned draft can be resumed for a day


def conversation_key(event: IncomingEvent) -> str:
    return _key(event.chat_id, event.user_id or "")


def _key(chat_id: str, user_id: str) -> str:
    return f"report:{chat_id}:{user_id}"


def draft_key(event: IncomingEvent) -> str | None:
    """The key ``active_draft`` reads for this event, if it reads one."""
    return conversation_key(event) if event.user_id else None


def active_draft(event: IncomingEvent, deps: Deps) -> Draft | None:
    key = draft_key(event)
    return _read(deps, key) if key is not None else None


def _read(deps: Deps, key: str) -> Draft | None:
    raw = deps.state.get(key)
    if not raw:
        return None
    try:
        return Draft.from_json(raw)
    except (TypeError, KeyError, ValueError):  # not a draft of any version we know
        log.warning("unreadable report draft for %s dropped", key)
        deps.state.delete(key)
        return None


def handle_report(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """รายงาน [project] [percent% text]."""
    return _begin(event, deps, REPORT.argument(event), mode="new")


def handle_edit(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """แก้ไขรายงาน [project]: change this month's last report."""
    return _begin(event, deps, EDIT_REPORT.argument(event), mode="edit")


def handle_attach(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """แนบ [project]: photos and files for this month's report, after it was saved."""
    return _begin(event, deps, ATTACH.argument(event), mode="new", attach_only=True)


def handle_cancel(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """ยกเลิก with no report open: say there is nothing to cancel (in a group, only the bare
    word or when tagged: "ยกเลิกประชุมพรุ่งนี้" is chatter)."""
    if event.in_group and not event.mentions_bot and CANCEL.argument(event):
        return []
    return [text(T.NOTHING_TO_CANCEL)]


def handle_report_button(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
    """A report button pressed by someone with no report open: a "รายงาน" button carrying
    its project (a reminder's, a status card's), someone else's open report, or a
    conversation that is over."""
    button = postback.decode(event.postback_data)
    if button is not None and button.action == postback.START:
        return _begin(event, deps, "", mode="new", pressed=button.project or 0)
    if button is not None and button.owner and button.owner != event.user_id:
        return _foreign(event, deps, button, None)
    return [text(T.BUTTON_OF_ENDED)]


def is_report_button(event: IncomingEvent) -> bool:
    return event.type == "postback" and postback.decode(event.postback_data) is not None


def handle_conversation(
    event: IncomingEvent, deps: Deps, draft: Draft, *, command: str | None = None, run_command: Handler | None = None
) -> Sequence[Message]:
    """A message or button from someone in the middle of a report. ``command``: the typed
    text starts with that command word (where free text is expected the person is asked
    which it is); ``run_command`` runs the command when they choose it."""
    if event.type == "message" and event.message_type in evidence.FILE_TYPES:
        return _run(event, deps, evidence.receive(event, deps, draft))
    if event.type == "message" and event.message_type != "text":
        return [] if event.in_group else _render(event, [Say(T.NOT_TEXT), *flow.prompt(draft)])
    button = postback.decode(event.postback_data) if event.type == "postback" else None
    if button is not None and button.action == postback.START:
        return handle_report_button(event, deps)
    if button is not None and button.owner and button.owner != event.user_id:
        return _foreign(event, deps, button, draft)
    idle = (deps.now - datetime.fromisoformat(draft.updated_at)).total_seconds()
    given = _input(event, button, command)
    outcome = flow.receive(draft, given, idle=idle, ttl=deps.settings.conversation_ttl_seconds)
    return _run(event, deps, outcome, run_command)


def _input(event: IncomingEvent, button: postback.Postback | None, command: str | None = None) -> Input:
    if button is None:
        return Input(text=event.text or "", command=command)
    if button.action == postback.SAY:
        return Input(text=button.value or "", nonce=button.nonce)
    # "choose" and the buttons of drafts saved before every button said its text
    return Input(action=button.action, value=button.value, nonce=button.nonce)


def _foreign(event: IncomingEvent, deps: Deps, button: postback.Postback, mine: Draft | None) -> Sequence[Message]:
    """Someone pressed a button of another person's report: whose it is, if still open
    (and, when the presser has a report of their own open, where theirs waits)."""
    assert button.owner is not None
    theirs = _read(deps, _key(event.chat_id, button.owner))
    if theirs is None or theirs.nonce != button.nonce:
        told = T.BUTTON_OF_ENDED
    else:
        name = theirs.owner_name or T.SOMEONE
        told = T.OTHERS_BUTTON.format(name=name) if mine is None else T.OTHERS_BUTTON_YOURS.format(name=name)
    return _render(event, [Say(told), *(flow.prompt(mine) if mine is not None else ())])


def _begin(
    event: IncomingEvent, deps: Deps, argument: str, *, mode: Mode, attach_only: bool = False, pressed: int | None = None
) -> Sequence[Message]:
    """Open a report. ``pressed``: a "รายงาน" button was pressed, with its project id (0: none
    on it); a button always gets an answer, even for a project this chat cannot see."""
    if not event.user_id:
        return [text(T.NO_SENDER)]
    projects = current_year_projects(access.visible_projects(deps.session, viewer_of(event)), deps.today)
    choices = [Choice(p.id, p.name, p.code) for p in projects]
    gone: tuple[Reply, ...] = ()
    if pressed:
        if any(c.id == pressed for c in choices):
            argument = f"#{pressed}"
        elif choices:
            gone = (Say(T.START_GONE),)
    elif event.in_group and argument and not event.mentions_bot and not _names_a_project(argument, choices):
        return []  # "รายงาน ผลการประชุมเมื่อวาน" in a busy group is chatter, not a command
    if not choices and event.in_group and access.coordinated_units(deps.session, event.user_id):
        return [text(T.NO_PROJECTS_GROUP_COORDINATOR)]
    now = deps.now.isoformat()
    person = deps.session.get(Person, event.user_id)
    draft = Draft(nonce=secrets.token_hex(4), state="choose", started_at=now, updated_at=now, mode=mode,
                  owner=event.user_id, owner_name=person.display_name if person else None,
                  in_group=event.in_group, attach_only=attach_only)  # fmt: skip
    started = flow.start(draft, choices, argument)
    return _run(event, deps, replace(started, replies=(*gone, *started.replies)))


def _names_a_project(argument: str, choices: Sequence[Choice]) -> bool:
    quick = shortcut(argument)
    return bool(match_choices(quick.project if quick else argument, choices))


def _run(event: IncomingEvent, deps: Deps, outcome: flow.Outcome, run_command: Handler | None = None) -> Sequence[Message]:
    replies: list[Reply] = []
    for _ in range(4):  # a Load or a refused Save leads to one more outcome
        replies.extend(outcome.replies)
        effect = outcome.effect
        if isinstance(effect, flow.RunCommand):
            assert outcome.draft is not None
            _keep(deps, event, outcome.draft)
            if run_command is None:  # nobody to run it: the report's question again
                return _render(event, [*replies, *flow.prompt(outcome.draft)])
            return fit([*_render(event, replies), *run_command(as_typed(event, effect.text), deps)])
        if isinstance(effect, flow.Load):
            assert outcome.draft is not None
            outcome = load_project(event, deps, outcome.draft, effect.project_id)
            continue
        if isinstance(effect, flow.Save):
            saved = save_report(event, deps, effect.draft)
            if isinstance(saved, flow.Outcome):  # someone else reported first: the person decides
                outcome = saved
                continue
            replies.append(Say(saved))
            deps.state.delete(conversation_key(event))
            return _render(event, replies)
        if isinstance(effect, flow.Attach):
            replies.append(Say(save_attachments(event, deps, effect.draft)))
            deps.state.delete(conversation_key(event))
            return _render(event, replies)
        break
    if outcome.draft is None:
        deps.state.delete(conversation_key(event))
    else:
        _keep(deps, event, outcome.draft)
    return _render(event, replies)


def _keep(deps: Deps, event: IncomingEvent, draft: Draft) -> None:
    kept = draft.with_(updated_at=deps.now.isoformat())
    deps.state.set(conversation_key(event), kept.to_json(), ttl=KEEP_DRAFTS)


def as_typed(event: IncomingEvent, typed: str) -> IncomingEvent:
    """The event as if ``typed`` had been sent, addressed to the bot: the person pressed a
    button to run that command, so no group "chatter" rule may silence it."""
    return replace(event, type="message", message_type="text", text=typed, command_text=typed, mentions_bot=True,
                   postback_data=None, postback_params={})  # fmt: skip


def _render(event: IncomingEvent, replies: Sequence[Reply]) -> list[Message]:
    """LINE messages; in a group, the question opens by mentioning the person it is for."""
    messages = fit([summary_card(r) if isinstance(r, SummaryCard) else text(r.text, r.buttons) for r in replies])
    if event.in_group and event.user_id:
        last = max((i for i, m in enumerate(messages) if m.get("type") == "text"), default=None)
        if last is not None:
            messages[last] = addressed(messages[last], event.user_id)
    return messages

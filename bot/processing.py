"""Processing one stored event: claim it, run its use case in one transaction with
the replies written to the outbox, commit, then deliver.

A crash in the use case rolls everything back; the event is retried with backoff
up to ``max_attempts`` times, then parked with its error (never lost, never
looping). The effects and the "done" mark commit together, so an event's effects
happen once even if a worker dies and another re-claims it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta

from bot.delivery import deliver
from bot.events import IncomingEvent, from_payload
from bot.profiles import refresh_display_name
from bot.services import Services
from handlers.deps import Deps, Handler, Message
from handlers.dispatch import route
from handlers.membership import observe
from handlers.reminders import with_reminder_line
from storage import inbox, outbox

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
Router = Callable[[IncomingEvent], Handler]


def process_next(services: Services, *, lease: timedelta = LEASE, router: Router = route) -> bool:
    """Process the next claimable event. False when there was nothing to do."""
    with services.sessions() as session, session.begin():
        claimed = inbox.claim_next(session, lease=lease)
        if claimed is None:
            return False
        event_id, attempt, payload = claimed.id, claimed.attempts, claimed.payload
    event = from_payload(event_id, payload)
    try:
        refresh_display_name(services, event)
    except Exception:  # noqa: BLE001 - a name is a nicety; the event must still be handled
        log.exception("display name refresh failed for event %s", event_id)
    try:
        with services.sessions() as session, session.begin():
            deps = Deps(
                session=session,
                settings=services.settings,
                state=services.state.for_session(session),
                now=services.clock(),
                files=services.files,
                content=lambda message_id: _content(services, message_id),
            )
            observe(event, deps)
            messages = list(router(event)(event, deps))
            if messages and event.mode == "active":
                _queue(deps, event, messages)
            inbox.mark_done(session, event_id, attempt=attempt)
    except inbox.LostLease:
        log.warning("event %s was re-claimed by another worker; its work is theirs", event_id)
        return True
    except Exception as exc:  # noqa: BLE001 - any crash in a use case: retry, then park
        log.exception("processing event %s (%s) failed", event_id, event.type)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with services.sessions() as session, session.begin():
            status = inbox.mark_failed(session, event_id, error, max_attempts=services.settings.max_attempts)
        if status == "parked":
            log.error("event %s parked after %d attempts: %s", event_id, attempt, error)
        return True
    try:
        deps.state.flush()  # conversation state follows the commit, never precedes it
    except Exception:  # noqa: BLE001 - the event is done; a lost draft step is told on the next message
        log.exception("event %s: conversation state not saved after commit", event_id)
    with services.sessions() as session:
        row_ids = outbox.rows_for_event(session, event_id)
    for row_id in row_ids:
        deliver(services, row_id)
    return True


def _content(services: Services, message_id: str) -> tuple[bytes, str]:
    found = services.gateway.message_content(message_id, limit=services.settings.max_file_bytes)
    return found.data, found.content_type


def _queue(deps: Deps, event: IncomingEvent, messages: list[Message]) -> None:
    if event.in_group and event.reply_token:  # a reply is free: it carries a due reminder too
        messages = with_reminder_line(deps, event.chat_id, messages)
    for start in range(0, len(messages), 5):
        batch = messages[start : start + 5]
        if event.reply_token and start == 0:
            outbox.enqueue_reply(
                deps.session,
                chat_id=event.chat_id,
                reply_token=event.reply_token,
                messages=batch,
                event_time=event.timestamp,
                inbox_event_id=event.inbox_id,
            )
        else:
            outbox.enqueue_push(
                deps.session,
                chat_id=event.chat_id,
                messages=batch,
                purpose="reply-overflow",
                inbox_event_id=event.inbox_id,
            )

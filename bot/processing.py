"""Processing one claimed event: its unit of work runs the use case in one transaction
with the replies written to the outbox and the inbox "done" mark, commits, then
applies the conversation state held back; the rows written go to delivery.

A crash in the use case rolls everything back; the event is retried with backoff
up to ``max_attempts`` times, then parked with its error (never lost, never
looping). The effects and the "done" mark commit together, so an event's effects
happen once even if a worker dies and another re-claims it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy.orm import Session, SessionTransaction

from bot.events import IncomingEvent, from_payload
from bot.outage import is_outage
from bot.services import Services
from handlers.deps import Deps, Handler, Message
from handlers.membership import observe
from handlers.reminders import with_reminder_line
from plans.errors import LostLease
from storage import access, inbox, outbox

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Outgoing:
    """An outbox row written by an event, for delivery: its id and its deadline."""

    row_id: int
    deadline: datetime | None


@dataclass
class Result:
    """What processing one event left to do after its commit."""

    status: str  # done | retry | deferred | parked | lost
    outgoing: list[Outgoing] = field(default_factory=list)
    # An event whose person's display name is due for a look-up at LINE (off the hot path).
    refresh_name: IncomingEvent | None = None


class UnitOfWork:
    """One event's transaction. ``with UnitOfWork(services) as uow:`` begins it;
    ``uow.commit()`` commits, then applies the state writes held back (state follows
    the commit, never precedes it); leaving without ``commit()`` rolls back."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._services.sessions()
        self._transaction: SessionTransaction = self.session.begin()
        self.deps = Deps(
            session=self.session,
            settings=self._services.settings,
            state=self._services.state.for_session(self.session),
            now=self._services.clock(),
            files=self._services.files,
            content=lambda message_id: _content(self._services, message_id),
        )
        return self

    def commit(self) -> None:
        self._transaction.commit()
        self._committed = True
        try:
            self.deps.state.flush()
        except Exception:  # noqa: BLE001 - the event is done; a lost draft step is told on the next message
            log.exception("conversation state not saved after commit")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if not self._committed:
                self._transaction.rollback()
        finally:
            self.session.close()


def process(services: Services, claimed: inbox.Claimed, dispatch: Handler) -> Result:
    """Run one claimed event's use case in its unit of work. Whatever goes wrong goes
    through one path: a dependency outage puts the event back uncounted; anything else
    (a bad payload included) is retried with backoff, then parked."""
    max_attempts = services.settings.max_attempts
    if claimed.attempts > max_attempts:  # claimed again and again by workers that died on it
        return _park(services, claimed, f"claimed {claimed.attempts} times without finishing")
    kind = "?"
    try:
        event = from_payload(claimed.id, claimed.payload)
        kind = event.type
        with UnitOfWork(services) as uow:
            observe(event, uow.deps)
            refresh = event if _name_due(event, uow.deps) else None
            messages = list(dispatch(event, uow.deps))
            outgoing = queue(uow.deps, event, messages) if messages and event.mode == "active" else []
            inbox.mark_done(uow.session, claimed.id, attempt=claimed.attempts)
            uow.commit()
    except LostLease:
        log.warning("event %s was re-claimed by another worker; its work is theirs", claimed.id)
        return Result("lost")
    except Exception as exc:  # noqa: BLE001 - any failure: defer (outage), else retry, then park
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if is_outage(exc):
            return _defer(services, claimed, error)
        log.exception("processing event %s (%s) failed", claimed.id, kind)
        return _failed(services, claimed, error)
    services.outage.recovered()
    return Result("done", outgoing, refresh)


def _defer(services: Services, claimed: inbox.Claimed, error: str) -> Result:
    delay = services.outage.deferred(error)
    try:
        with services.sessions() as session, session.begin():
            inbox.defer(session, claimed.id, error, delay=delay)
    except Exception:  # noqa: BLE001 - the database itself is down: the lease runs out, the event comes back
        log.debug("event %s: could not defer; its lease will run out", claimed.id, exc_info=True)
    return Result("deferred")


def _failed(services: Services, claimed: inbox.Claimed, error: str) -> Result:
    with services.sessions() as session, session.begin():
        status = inbox.mark_failed(session, claimed.id, error, max_attempts=services.settings.max_attempts)
    if status == "parked":
        log.error("event %s parked after %d attempts: %s", claimed.id, claimed.attempts, error)
        return Result("parked")
    return Result("retry")


def _park(services: Services, claimed: inbox.Claimed, error: str) -> Result:
    with services.sessions() as session, session.begin():
        inbox.park(session, claimed.id, error)
    log.error("event %s parked: %s", claimed.id, error)
    return Result("parked")


def _content(services: Services, message_id: str) -> tuple[bytes, str]:
    found = services.gateway.message_content(message_id, limit=services.settings.max_file_bytes)
    return found.data, found.content_type


def _name_due(event: IncomingEvent, deps: Deps) -> bool:
    """Whether the person's display name is a day old or unknown (the row ``observe``
    just loaded, so no extra query); the look-up itself happens after the commit."""
    if not event.user_id or event.type in ("unfollow", "leave", "memberLeft"):
        return False
    return access.needs_name_refresh(deps.session, event.user_id)


def queue(deps: Deps, event: IncomingEvent, messages: Sequence[Message]) -> list[Outgoing]:
    """Write an event's answer to the outbox: the first five messages as the reply, any
    more as pushes (LINE takes at most five per call)."""
    outgoing = []
    if event.in_group and event.reply_token:  # a reply is free: it carries a due reminder too
        messages = with_reminder_line(deps, event.chat_id, list(messages))
    for start in range(0, len(messages), 5):
        batch = messages[start : start + 5]
        if event.reply_token and start == 0:
            reply = outbox.enqueue_reply(
                deps.session,
                chat_id=event.chat_id,
                reply_token=event.reply_token,
                messages=batch,
                event_time=event.timestamp,
                inbox_event_id=event.inbox_id,
            )
            outgoing.append(Outgoing(reply.id, reply.token_expires_at))
        else:
            push = outbox.enqueue_push(
                deps.session,
                chat_id=event.chat_id,
                messages=batch,
                purpose="reply-overflow",
                inbox_event_id=event.inbox_id,
            )
            if push is not None:
                outgoing.append(Outgoing(push.id, None))
    return outgoing


def claim(services: Services, *, limit: int, lease: timedelta = LEASE) -> list[inbox.Claimed]:
    """Claim up to ``limit`` events of different chats, oldest first. An idle look takes
    no write lock (on SQLite it would stall every webhook for nothing)."""
    if services.engine.dialect.name != "sqlite":  # FOR UPDATE SKIP LOCKED does it in one go
        with services.sessions() as session, session.begin():
            return inbox.claim_batch(session, lease=lease, limit=limit)
    with services.reading() as session:
        candidates = inbox.claimable_ids(session, limit=limit)
    if not candidates:
        return []
    with services.sessions() as session, session.begin():
        return inbox.claim_batch(session, lease=lease, limit=limit, candidates=candidates)


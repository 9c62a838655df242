"""Processing claimed events. A claimed batch (each event of a different chat) runs in
one unit of work: one transaction holding every event's effects, its replies written
to the outbox and its inbox "done" mark. The transaction commits once for the whole
batch, or every ``HOLD`` seconds of work if sooner (one write lock on SQLite, one
round trip on PostgreSQL, instead of one per event); the events' replies (an answer
of one reply, nearly all of them) and their done marks are written just before the
commit, one statement for all the unit's of each; then each event's conversation
state held back is applied; the outbox rows written go to delivery.

The events of a batch share the transaction without a savepoint each (a SAVEPOINT and
its RELEASE cost about 0.3 ms of CPU per event on PostgreSQL, 0.1 ms on SQLite). So
when one raises, or a done mark finds its claim lost, the unit is
rolled back whole, and its events are run again each alone, in a transaction of its
own: the others commit as if it had never been there, and it fails alone. Whatever
went wrong takes one path: a dependency outage (Redis, the database) puts the event
back uncounted (``bot.outage``); anything else, a payload that cannot be read
included, is retried with backoff up to ``max_attempts`` times, then parked with its
error (never lost, never looping). An event's effects and its "done" mark are in the
same transaction, so they commit together or not at all: an event's effects happen
once even if a worker dies and another re-claims it. If the batch's transaction
itself fails (the database went away, a commit refused), each event is likewise
tried again alone.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction

from bot.events import IncomingEvent, from_payload
from bot.outage import is_outage
from bot.services import Services
from handlers.deps import Deps, Handler, Message
from handlers.dispatch import draft_keys
from handlers.membership import observe
from handlers.reminders import with_reminder_line
from plans.errors import LostLease
from storage import access, inbox, outbox
from storage.db import utcnow
from storage.models import OutboxMessage
from storage.state import StateStore

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
# How long one unit of work goes on taking the batch's next event before it commits.
# On SQLite it holds the write lock meanwhile, and a commit is cheap (bench.throughput,
# 20 -> 5 ms: (c) ack p99 53-102 -> 30-50 ms, (b) replies 270-300 -> 336/s); on
# PostgreSQL a commit waits for the log's flush (5 ms there: (c) ack p99 196 -> 757 ms).
# ``yield_early`` (the worker's, on SQLite: a webhook waits for the write lock and the
# worker is not behind) commits sooner.
HOLD = {"sqlite": 0.005}
HOLD_DEFAULT = 0.02
NAME_KEPT = timedelta(days=1)  # a display name is looked up again after a day


@dataclass(frozen=True)
class Outgoing:
    """An outbox row written by an event, for delivery: its id and its deadline, and
    the row itself when it was written taken for sending (``process_batch(take=True)``)."""

    row_id: int
    deadline: datetime | None
    taken: OutboxMessage | None = None


@dataclass
class Result:
    """What processing one event left to do after its commit."""

    status: str  # done | retry | deferred | parked | lost
    outgoing: list[Outgoing] = field(default_factory=list)
    # An event whose person's display name is due for a look-up at LINE (off the hot path).
    refresh_name: IncomingEvent | None = None


class UnitOfWork:
    """A batch's transaction. ``with UnitOfWork(services) as uow:`` begins it; each
    event runs in ``with uow.event() as deps:`` (leaving it by an exception spoils the
    unit: it must be rolled back, by leaving without ``commit()``); ``uow.commit()``
    commits, then applies the state writes each event held back (state follows the
    commit, never precedes it); leaving without ``commit()`` rolls everything back. A
    batch of one is the plain one-event unit of work."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._committed = False
        self._held: list[StateStore] = []
        self._done: list[tuple[int, int]] = []
        self._replies: list[tuple[dict[str, Any], list[Outgoing]]] = []
        self._events: dict[int, IncomingEvent] = {}
        self._writers: dict[str, access.Known] = {}

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._services.sessions()
        self._transaction: SessionTransaction = self.session.begin()
        self.now = self._services.clock()
        return self

    def look_ahead(self, batch: Sequence[inbox.Claimed]) -> None:
        """Read what the events of ``batch`` read first, for all of them at once: their
        writers (``access.look_ahead``: whether known, a friend, a member of the group,
        a coordinator) and their conversation state. Two queries for the unit instead
        of two to four for each event. A writer with two events in the batch (in two
        chats) is left out: the first may change what the second would read."""
        for claimed in batch:
            try:
                self._events[claimed.id] = from_payload(claimed.id, claimed.payload)
            except Exception:  # noqa: BLE001 - it raises again when it runs, and fails there
                continue
        writing = [e for e in self._events.values() if e.user_id and e.type in ("message", "postback")]
        count = Counter(e.user_id for e in writing)
        once = [e for e in writing if count[e.user_id] == 1]
        self._writers = access.look_ahead(self.session, [e.user_id for e in once if e.user_id],
                                          [e.chat_id for e in once if e.in_group])  # fmt: skip
        keys = [key for event in self._events.values() for key in draft_keys(event)]
        self._services.state.for_session(self.session).prefetch(keys)

    def parsed(self, claimed: inbox.Claimed) -> IncomingEvent:
        """The claimed event as read by ``look_ahead``, or read now (raising if it cannot be)."""
        event = self._events.get(claimed.id)
        return event if event is not None else from_payload(claimed.id, claimed.payload)

    @contextmanager
    def event(self, event: IncomingEvent) -> Iterator[Deps]:
        """One event's view of the unit: the session, what ``look_ahead`` read of its
        writer, and its own conversation state, whose writes are held until the commit
        (dropped if the event raises)."""
        deps = Deps(
            session=self.session,
            settings=self._services.settings,
            state=self._services.state.for_session(self.session),
            now=self.now,
            files=self._services.files,
            content=lambda message_id: _content(self._services, message_id),
            writer=self._writers.get(event.user_id) if event.user_id else None,
        )
        yield deps
        self._held.append(deps.state)

    def done(self, claimed: inbox.Claimed) -> None:
        """The event's "done" mark, written with the others' at the commit (one statement
        for the unit): LostLease then if any claim was lost, and the unit rolls back."""
        self._done.append((claimed.id, claimed.attempts))

    def reply_later(self, row: dict[str, Any], into: list[Outgoing]) -> None:
        """An event's reply (``outbox.reply_values``), written with the others' at the
        commit (one INSERT for the unit); its ``Outgoing`` is added to ``into`` then."""
        self._replies.append((row, into))

    def commit(self) -> None:
        written = outbox.write_replies(self.session, [row for row, _ in self._replies])
        for (_, into), (row_id, expires, taken) in zip(self._replies, written, strict=True):
            into.append(Outgoing(row_id, expires, taken))
        inbox.mark_done_many(self.session, self._done)
        self._transaction.commit()
        self._committed = True
        for state in self._held:
            try:
                state.flush()
            except Exception:  # noqa: BLE001 - the event is done; a lost draft step is told on the next message
                log.exception("conversation state not saved after commit")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if not self._committed and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self.session.close()


def process(services: Services, claimed: inbox.Claimed, dispatch: Handler) -> Result:
    """Run one claimed event in a unit of work of its own."""
    return process_batch(services, [claimed], dispatch)[0]


def process_batch(
    services: Services,
    batch: Sequence[inbox.Claimed],
    dispatch: Handler,
    *,
    take: bool = False,
    yield_early: Callable[[], bool] | None = None,
) -> list[Result]:
    """Run a claimed batch (independent chats) in as few units of work as its length and
    ``HOLD`` allow; the results are in the batch's order. ``yield_early``: asked after
    each event, True commits the unit now (the rest go in the next).
    ``take``: each event's reply is written already taken for sending ("sending") and
    comes back whole (``Outgoing.taken``), for the caller to send at once after the
    commit: no transaction of its own to take it, no statement to read it back. (The
    rare pushes of an answer past five messages are written pending, to deliver.)"""
    results: list[Result] = []
    while len(results) < len(batch):
        results += _unit(services, batch[len(results) :], dispatch, take=take, yield_early=yield_early)
    return results


class _Spoiled(Exception):
    """An event raised in a unit of several: the unit is rolled back, and its events run
    again each alone."""


def _unit(services: Services, batch: Sequence[inbox.Claimed], dispatch: Handler, *, take: bool,
          yield_early: Callable[[], bool] | None = None) -> list[Result]:  # fmt: skip
    """One unit of work over the first events of ``batch``: as many as fit in ``HOLD``
    (at least one), so that on SQLite a webhook waiting for the write lock waits for
    one short transaction, not a whole batch. An event that raises, or a transaction
    that fails, sends the unit's events to run again each alone. Whatever goes wrong
    with an event alone goes through one path: a re-claim by another worker leaves the
    event to it; a dependency outage puts the event back uncounted; anything else (a
    bad payload included) is retried with backoff, then parked."""
    results: list[Result] = []
    hold = HOLD.get(services.engine.dialect.name, HOLD_DEFAULT)
    alone = len(batch) == 1
    try:
        with UnitOfWork(services) as uow:
            # Counted from the end of the first event: on SQLite the write lock is taken
            # at its first statement, and a wait for it is not work done holding it.
            started: float | None = None
            uow.look_ahead(batch)
            for claimed in batch:
                results.append(_run(uow, services, claimed, dispatch, take=take, alone=alone))
                if started is None:
                    started = time.monotonic()
                if time.monotonic() - started >= hold or (yield_early is not None and yield_early()):
                    break
            uow.commit()
    except Exception as exc:  # noqa: BLE001 - one path for an event's failure and the transaction's
        if not alone:
            ran = batch[: len(results) + 1]  # those run, and the one that raised (or the next)
            if isinstance(exc, _Spoiled):
                log.info("an event of a unit of work of %d failed (%s); running each alone", len(ran), exc.__cause__)
            else:
                log.warning("a unit of work of %d events failed as a whole (%s); trying each alone", len(ran), exc)
            return [_unit(services, [claimed], dispatch, take=take)[0] for claimed in ran]
        if isinstance(exc, LostLease):  # the event is another worker's now
            log.warning("event %s was re-claimed by another worker; its work is theirs", batch[0].id)
            return [Result("lost")]
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if is_outage(exc):
            return [_defer(services, batch[0], error)]
        log.exception("processing event %s failed", batch[0].id)
        return [_failed(services, batch[0], error)]
    if services.outage.active:
        services.outage.recovered(c.id for c, r in zip(batch, results, strict=False) if r.status == "done")
    return results


def _run(
    uow: UnitOfWork, services: Services, claimed: inbox.Claimed, dispatch: Handler, *, take: bool, alone: bool
) -> Result:
    """One event in the unit's transaction. If it raises, its unit is spoiled: run among
    others, ``_Spoiled`` (they all run again, each alone); alone, the error itself, for
    ``_unit`` to settle once the transaction is rolled back."""
    if claimed.attempts > services.settings.max_attempts:  # claimed again and again by workers that died on it
        error = f"claimed {claimed.attempts} times without finishing"
        inbox.park(uow.session, claimed.id, error)
        log.error("event %s parked: %s", claimed.id, error)
        return Result("parked")
    try:
        event = uow.parsed(claimed)
        with uow.event(event) as deps:
            person = observe(event, deps)
            refresh = event if _name_due(event, deps, person) else None
            messages = list(dispatch(event, deps))
            outgoing = queue(deps, event, messages, take=take, uow=uow) if messages and event.mode == "active" else []
            uow.done(claimed)
    except Exception as exc:
        if alone:
            raise
        raise _Spoiled(f"event {claimed.id}") from exc
    return Result("done", outgoing, refresh)


def _defer(services: Services, claimed: inbox.Claimed, error: str) -> Result:
    delay = services.outage.deferred(error, claimed.id)
    try:
        with services.sessions() as session, session.begin():
            inbox.defer(session, claimed.id, error, delay=delay)
    except Exception:  # noqa: BLE001 - the database itself is down: put back once it answers
        services.outage.hold(claimed.id, error)
    return Result("deferred")


def put_back_held(services: Services) -> int:
    """Put back the events this process claimed during a database outage but could not
    release then; if the database is still down they stay held. Returns how many."""
    held = services.outage.take_held()
    if not held:
        return 0
    try:
        with services.sessions() as session, session.begin():
            for event_id, error in held.items():
                inbox.defer(session, event_id, error, delay=0.0)
    except Exception:  # noqa: BLE001 - still down: try again on the next round
        for event_id, error in held.items():
            services.outage.hold(event_id, error)
        return 0
    log.info("%d event(s) held during the outage put back", len(held))
    return len(held)


def _failed(services: Services, claimed: inbox.Claimed, error: str) -> Result:
    with services.sessions() as session, session.begin():
        status = inbox.mark_failed(session, claimed.id, error, max_attempts=services.settings.max_attempts)
    if status == "parked":
        log.error("event %s parked after %d attempts: %s", claimed.id, claimed.attempts, error)
        return Result("parked")
    return Result("retry")


def _content(services: Services, message_id: str) -> tuple[bytes, str]:
    found = services.gateway.message_content(message_id, limit=services.settings.max_file_bytes)
    return found.data, found.content_type


def _name_due(event: IncomingEvent, deps: Deps, seen: access.Seen | None) -> bool:
    """Whether the person's display name is a day old or unknown (from what ``observe``
    just read when it did, so no extra query); the look-up itself happens after the
    commit."""
    if not event.user_id or event.type in ("unfollow", "leave", "memberLeft"):
        return False
    if seen is not None:
        return seen.name_refreshed_at is None or seen.name_refreshed_at < utcnow() - NAME_KEPT
    return access.needs_name_refresh(deps.session, event.user_id, every=NAME_KEPT)


def queue(deps: Deps, event: IncomingEvent, messages: Sequence[Message], *, take: bool, uow: UnitOfWork) -> list[Outgoing]:
    """Write an event's answer to the outbox: the first five messages as the reply, any
    more as pushes (LINE takes at most five per call). ``take``: the reply is written
    taken for sending (``Outgoing.taken``). An answer that is one reply is written at
    the commit of ``uow``, with the other events' (the list returned is filled then);
    an answer with pushes is written at once, the reply first."""
    outgoing: list[Outgoing] = []
    if event.in_group and event.reply_token:  # a reply is free: it carries a due reminder too
        messages = with_reminder_line(deps, event.chat_id, list(messages))
    for start in range(0, len(messages), 5):
        batch = messages[start : start + 5]
        if event.reply_token and start == 0:
            row = outbox.reply_values(chat_id=event.chat_id, reply_token=event.reply_token, messages=batch,
                                      event_time=event.timestamp, inbox_event_id=event.inbox_id, taken=take)  # fmt: skip
            if len(messages) <= 5:
                uow.reply_later(row, outgoing)
                return outgoing
            [(row_id, expires, taken)] = outbox.write_replies(deps.session, [row])
            outgoing.append(Outgoing(row_id, expires, taken))
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

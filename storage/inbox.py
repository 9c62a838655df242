"""The inbox: webhook events stored before acknowledgement, claimed by workers in order.

Ordering rule: events with the same ``order_key`` (one person in one chat) are
handled one at a time, oldest first. An event can be claimed only when no older
event of its key is still pending or processing; a crashed worker's claim runs
out after its lease and the event becomes claimable again.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.events import chat_of
from plans.errors import LostLease
from storage import wakeup
from storage.db import UTCDateTime, utcnow
from storage.models import InboxEvent

HANDLED_TYPES = frozenset(
    {"message", "postback", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft"}
)
ACTIVE = ("pending", "processing")
# The table itself, for the event path's statements built once (Core: no ORM round on each).
_TABLE = cast(Table, InboxEvent.__table__)


@dataclass(frozen=True)
class StoredCount:
    new: int
    duplicates: int
    handed: int = 0  # of the new, claimed as stored and handed to this process's worker


def order_key(chat_id: str | None, user_id: str | None) -> str:
    return f"{chat_id or '-'}:{user_id or '-'}"


@functools.cache
def _store_statement(dialect: str) -> Any:
    """The insert-if-new of events, built once per backend: run with many rows, it goes
    as one multi-row INSERT (SQLAlchemy's "insertmanyvalues"), and returns the ids of
    the events it stored."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = _TABLE
    return insert(table).on_conflict_do_nothing(index_elements=["webhook_event_id"]).returning(
        table.c.id, table.c.webhook_event_id
    )


# The order keys among ``keys`` with an event still pending or processing.
_ACTIVE_KEYS = (
    select(_TABLE.c.order_key)
    .where(_TABLE.c.order_key.in_(bindparam("keys", expanding=True)), _TABLE.c.status.in_(ACTIVE))
    .distinct()
)
# PostgreSQL: the order keys' locks, held to the commit, taken in one order (no deadlock).
# Two webhooks storing the first events of one key at once (two processes) would each
# find the key free and both claim; with the lock the second looks after the first's
# commit, and finds its event.
_KEY_LOCKS = text(
    "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h"
    " FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h) AS locks"
)


def store_events(session: Session, events: Iterable[Mapping[str, Any]]) -> StoredCount:
    """Insert raw webhook events; an event already stored (a redelivery) is skipped."""
    return store_requests(session, [list(events)])[0]


def store_requests(session: Session, requests: Sequence[Sequence[Mapping[str, Any]]]) -> list[StoredCount]:
    """``store_events`` for the events of several requests in one statement: what each
    request stored anew, and what it had that was stored already."""
    return store_and_claim(session, requests, limit=0, lease=timedelta(0))[0]


@dataclass
class Claims:
    """What ``store_and_claim`` claimed, and why the other new events wait, pending."""

    claimed: list[Claimed] = field(default_factory=list)
    busy: set[str] = field(default_factory=set)  # order keys with an event before theirs
    left_over: bool = False  # some could run now but were beyond the limit


def store_and_claim(
    session: Session, requests: Sequence[Sequence[Mapping[str, Any]]], *, limit: int, lease: timedelta
) -> tuple[list[StoredCount], Claims]:
    """``store_requests``, and up to ``limit`` of the new events claimed as they are
    stored (``processing``, claim number 1, leased for ``lease``): those whose order key
    has no event still pending or processing, the oldest of each key only, oldest
    first. So an event the worker of this process has room for costs no claim of its
    own; the ordering rule is the claim's (an event of a busy key waits, pending)."""
    now = utcnow()
    rows = [(n, _row(raw, now)) for n, events in enumerate(requests) for raw in events]
    claims = Claims()
    if not rows:
        return [StoredCount(0, 0) for _ in requests], claims
    values = [row for _, row in rows]
    chosen = _claim_as_stored(session, values, limit, now + lease, claims)
    stmt = _store_statement(session.get_bind().dialect.name)
    stored = {str(found.webhook_event_id): int(found.id) for found in session.execute(stmt, values)}
    new, handed = [0] * len(requests), [0] * len(requests)
    for index, (n, row) in enumerate(rows):
        event_id = row["webhook_event_id"]
        if event_id not in stored:
            continue
        stored_id = stored.pop(event_id)  # the same event twice in one go is stored once
        new[n] += 1
        if index in chosen:
            handed[n] += 1
            claims.claimed.append(Claimed(stored_id, event_id, 1, row["payload"], row["event_ts"], row["order_key"]))
    claims.claimed.sort(key=lambda c: (c.event_ts, c.id))
    counts = [StoredCount(new=new[n], duplicates=len(events) - new[n], handed=handed[n])
              for n, events in enumerate(requests)]  # fmt: skip
    return counts, claims


def _claim_as_stored(session: Session, rows: list[dict[str, Any]], limit: int, until: datetime,
                     claims: Claims) -> set[int]:  # fmt: skip
    """Mark up to ``limit`` rows about to be stored as claimed: the oldest pending row
    of each order key that has no event still pending or processing. Their indexes;
    ``claims`` learns why the other pending rows wait."""
    oldest: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row["status"] != "pending":
            continue
        best = oldest.get(row["order_key"])
        if best is not None:
            claims.busy.add(row["order_key"])  # two of one key: the newer waits for the older
        if best is None or row["event_ts"] < rows[best]["event_ts"]:
            oldest[row["order_key"]] = index
    if not oldest:
        return set()
    if limit <= 0:
        claims.left_over = True
        return set()
    keys = sorted(oldest)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_KEY_LOCKS, {"keys": keys})
    busy = set(session.scalars(_ACTIVE_KEYS, {"keys": keys}))
    claims.busy |= busy
    free = sorted((index for key, index in oldest.items() if key not in busy), key=lambda i: rows[i]["event_ts"])
    chosen = set(free[:limit])
    claims.left_over = len(free) > limit
    for index in chosen:
        rows[index].update(status="processing", attempts=1, lease_until=until)
    return chosen


def _row(raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    chat_id, user_id = chat_of(raw.get("source") or {})
    kind = str(raw["type"])
    mode = str(raw.get("mode") or "active")
    if mode == "standby":
        status = "standby"
    elif kind not in HANDLED_TYPES:
        status = "ignored"
    else:
        status = "pending"
    return {
        "webhook_event_id": str(raw["webhookEventId"]),
        "event_type": kind,
        "chat_id": chat_id,
        "user_id": user_id,
        "order_key": order_key(chat_id, user_id),
        "event_ts": int(raw["timestamp"]),
        "mode": mode,
        "is_redelivery": bool((raw.get("deliveryContext") or {}).get("isRedelivery")),
        "payload": json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
        "status": status,
        "attempts": 0,
        "lease_until": None,
        "available_at": now,
        "received_at": now,
    }


class HandOff(Protocol):
    """A worker in this process taking events claimed as they are stored
    (``InboxWriter.hand_off``)."""

    lease: timedelta

    def room(self) -> int:
        """How many events it would take now."""

    def accept(self, claims: Claims) -> None:
        """The events claimed for it (maybe none) once committed, and why the others wait."""


@dataclass
class _Request:
    events: Sequence[Mapping[str, Any]]
    stored: StoredCount | None = None
    error: BaseException | None = None
    done: bool = False

    def outcome(self) -> StoredCount:
        if self.error is not None:
            raise self.error
        assert self.stored is not None
        return self.stored


@dataclass
class InboxWriter:
    """Stores the events of webhook requests that arrive together in one transaction
    (group commit): a request that finds no write in progress writes every request
    waiting (its own included) and commits once; the others wait for that commit.
    Each request returns only when its events are committed, so a 200 still means
    stored. One lock take and one commit on SQLite for a burst, not one per request.

    With a ``hand_off`` (the worker of this process, while it runs), the events it has
    room for are claimed in the same transaction and handed to it after the commit: no
    claim, no wake-up, no look for them in the inbox (``store_and_claim``)."""

    sessions: sessionmaker[Session]
    hand_off: HandOff | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _waiting: list[_Request] = field(default_factory=list)
    _writing: bool = False

    def store(self, events: Sequence[Mapping[str, Any]]) -> StoredCount:
        mine = _Request(events)
        with self._cond:
            self._waiting.append(mine)
            while self._writing and not mine.done:
                self._cond.wait()
            if mine.done:
                return mine.outcome()
            self._writing = True
            requests, self._waiting = self._waiting, []
        try:
            self._write(requests)
        finally:
            with self._cond:
                for request in requests:
                    request.done = True
                self._writing = False
                self._cond.notify_all()
        return mine.outcome()

    def _write(self, requests: list[_Request]) -> None:
        hand_off = self.hand_off
        limit = hand_off.room() if hand_off is not None else 0
        lease = hand_off.lease if hand_off is not None else timedelta(0)
        try:
            with self.sessions() as session, session.begin():
                counts, claims = store_and_claim(session, [request.events for request in requests],
                                                 limit=limit, lease=lease)  # fmt: skip
                if any(count.new > count.handed for count in counts):
                    wakeup.announce(session)
        except Exception as exc:  # noqa: BLE001 - handed to the requests, or each written alone
            if len(requests) > 1:
                for request in requests:
                    self._write([request])
                return
            requests[0].error = exc
            return
        if hand_off is not None:
            hand_off.accept(claims)
        for request, count in zip(requests, counts, strict=True):
            request.stored = count


@dataclass(frozen=True)
class Claimed:
    """An event a worker holds now: ``attempts`` is this claim's number (for ``mark_done``)."""

    id: int
    webhook_event_id: str
    attempts: int
    payload: str
    event_ts: int
    order_key: str


def _claimable(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """May run now, and no older event of its order key is still pending or processing."""
    older = aliased(InboxEvent)
    due = or_(
        and_(InboxEvent.status == "pending", InboxEvent.available_at <= now),
        and_(InboxEvent.status == "processing", InboxEvent.lease_until < now),
    )
    blocked_by_older = exists().where(
        older.order_key == InboxEvent.order_key,
        older.status.in_(ACTIVE),
        or_(
            older.event_ts < InboxEvent.event_ts,
            and_(older.event_ts == InboxEvent.event_ts, older.id < InboxEvent.id),
        ),
    )
    return and_(due, ~blocked_by_older)


def _claimable_query(now: datetime | BindParameter[datetime], limit: int | BindParameter[int]) -> Select[Any]:
    # At most one event per order key can pass ``blocked_by_older``: the oldest. So a
    # batch holds independent chats only, and they may be handled side by side.
    return select(InboxEvent.id).where(_claimable(now)).order_by(InboxEvent.event_ts, InboxEvent.id).limit(limit)


class _ClaimStatements:
    """The claim's statements, built once with parameters (building and keying them
    anew on every claim cost more than running them)."""

    def __init__(self) -> None:
        now = bindparam("now", type_=UTCDateTime())
        limit = bindparam("limit", type_=Integer())
        self.look = _claimable_query(now, limit)
        self.lock = self.look.with_for_update(skip_locked=True, of=InboxEvent)
        self.take = (
            update(InboxEvent)
            .where(InboxEvent.id.in_(bindparam("ids", expanding=True)), _claimable(now))
            .values(status="processing", lease_until=bindparam("lease_until", type_=UTCDateTime()),
                    attempts=InboxEvent.attempts + 1)
            .returning(InboxEvent.id, InboxEvent.webhook_event_id, InboxEvent.attempts, InboxEvent.payload,
                       InboxEvent.event_ts, InboxEvent.order_key)
            .execution_options(synchronize_session=False)
        )  # fmt: skip


_CLAIMS = _ClaimStatements()


def claimable_ids(session: Session, *, limit: int, now: datetime | None = None) -> list[int]:
    """The events a claim would take, read without locking anything (for a look in a
    read-only transaction before ``claim_batch``, which checks them again)."""
    return list(session.scalars(_CLAIMS.look, {"now": now or utcnow(), "limit": limit}))


def any_claimable(session: Session, *, now: datetime | None = None) -> bool:
    """A read-only look, so an idle worker need not take SQLite's write lock."""
    return bool(claimable_ids(session, limit=1, now=now))


def claim_batch(
    session: Session,
    *,
    lease: timedelta,
    limit: int,
    now: datetime | None = None,
    candidates: list[int] | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` of the oldest events that may run now, each of a different
    order key, oldest first; commit is the caller's. ``candidates`` (from
    ``claimable_ids``) skips the search: each is claimed only if still claimable."""
    now = now or utcnow()
    if candidates is None:
        candidates = list(session.scalars(_CLAIMS.lock, {"now": now, "limit": limit}))
    if not candidates:
        return []
    # A conditional update: of two workers racing for one event, one wins; and an event
    # claimable a moment ago but no longer (claimed, or an older one arrived) stays.
    won = session.execute(_CLAIMS.take, {"ids": candidates[:limit], "now": now, "lease_until": now + lease})
    claimed = [Claimed(*row) for row in won]
    return sorted(claimed, key=lambda c: (c.event_ts, c.id))


def claim_next(session: Session, *, lease: timedelta, now: datetime | None = None) -> Claimed | None:
    """Claim the oldest event that may run now; commit is the caller's."""
    claimed = claim_batch(session, lease=lease, limit=1, now=now)
    return claimed[0] if claimed else None


_MARK_DONE = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("event_ids", expanding=True)), _TABLE.c.status == "processing",
           _TABLE.c.attempts == bindparam("attempt"))
    .values(status="done", processed_at=bindparam("processed_at"), lease_until=None, last_error=None)
)  # fmt: skip


def mark_done(session: Session, event_id: int, *, attempt: int) -> None:
    """Close an event in the transaction that applied its effects. If the claim was
    lost (the lease ran out and another worker re-claimed it), raise LostLease so the
    caller rolls back and the effects are applied once, by the other worker."""
    mark_done_many(session, [(event_id, attempt)])


def mark_done_many(session: Session, claims: Sequence[tuple[int, int]]) -> None:
    """``mark_done`` of several events (id, claim number): one UPDATE for those of each
    claim number (nearly always one: the first). LostLease if any claim was lost: the
    caller cannot tell which, and rolls back; each event alone then tells."""
    by_attempt: dict[int, list[int]] = {}
    for event_id, attempt in claims:
        by_attempt.setdefault(attempt, []).append(event_id)
    now = utcnow()
    for attempt, event_ids in by_attempt.items():
        result = session.execute(_MARK_DONE, {"event_ids": event_ids, "attempt": attempt, "processed_at": now})
        if result.rowcount != len(event_ids):  # type: ignore[attr-defined]
            raise LostLease(f"a claim lost among inbox events {event_ids} (claim {attempt})")


def mark_failed(session: Session, event_id: int, error: str, *, max_attempts: int) -> str:
    """Put a failed event back for a later try, or park it for good. Returns the new status."""
    event = session.get(InboxEvent, event_id, populate_existing=True)
    if event is None:
        return "missing"
    if event.attempts >= max_attempts:
        event.status = "parked"
    else:
        event.status = "pending"
        event.available_at = utcnow() + timedelta(seconds=min(60.0, 0.5 * 2 ** (event.attempts - 1)))
    event.lease_until = None
    event.last_error = error[:4000]
    return event.status


def defer(session: Session, event_id: int, error: str, *, delay: float) -> None:
    """Put an event back after a dependency outage: pending again after ``delay``
    seconds, and this try not counted against ``max_attempts`` (the event did nothing
    wrong, so an outage of any length parks nothing)."""
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id, InboxEvent.status == "processing")
        .values(
            status="pending",
            attempts=InboxEvent.attempts - 1,  # a claim counted it; every claim adds one first
            available_at=utcnow() + timedelta(seconds=delay),
            lease_until=None,
            last_error=error[:4000],
        )
        .execution_options(synchronize_session=False)
    )


def park(session: Session, event_id: int, error: str) -> None:
    """Park an event for good (kept with its error for an operator, never lost)."""
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(status="parked", lease_until=None, last_error=error[:4000])
        .execution_options(synchronize_session=False)
    )


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status))
    return {status: count for status, count in rows}

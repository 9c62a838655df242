"""The outbox: every reply and push is a row, written in the transaction that decided
to send it, delivered after commit. A push keeps one retry key for all its tries,
so LINE delivers it at most once; a scheduled message's ``dedupe_key`` makes its
ledger entry unique, so it is never queued twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.db import dialect_insert, utcnow
from storage.models import OutboxMessage

# LINE accepts a reply token for about a minute after the event.
REPLY_TOKEN_TTL = timedelta(seconds=60)
# A new row is its own worker's to deliver, right after commit; the sweeper waits this long.
FRESH = timedelta(seconds=30)


# Built once: a statement made anew for every reply is keyed and looked up anew too.
_TABLE = cast(Table, OutboxMessage.__table__)
# Replies, matched back by reply token (one reply a token). Asking the rows back in the
# parameters' order instead makes SQLAlchemy write SQLite's one at a time.
_QUEUE_REPLIES = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.reply_token)


def reply_values(
    *,
    chat_id: str,
    reply_token: str,
    messages: Sequence[dict[str, Any]],
    event_time: datetime,
    inbox_event_id: int | None = None,
    taken: bool = False,
) -> dict[str, Any]:
    """The row of a reply, to write with ``write_replies``: the event path's way, one
    INSERT for a unit of work's replies and no object read back. ``taken``: written
    already taken for sending ("sending", its first try), for the unit of work that
    writes it to send after its commit."""
    now = utcnow()
    return {
        "kind": "reply", "chat_id": chat_id, "reply_token": reply_token, "retry_key": str(uuid.uuid4()),
        "purpose": "reply", "messages": _dump(messages), "inbox_event_id": inbox_event_id,
        "status": "sending" if taken else "pending", "attempts": 1 if taken else 0, "fallback_push": False,
        "cost": 0, "token_expires_at": event_time + REPLY_TOKEN_TTL, "next_attempt_at": now, "created_at": now,
    }  # fmt: skip


def write_replies(session: Session, rows: Sequence[dict[str, Any]]) -> list[tuple[int, datetime, OutboxMessage | None]]:
    """Write replies (``reply_values``) in one statement (a multi-row INSERT for many),
    in order: for each, (row id, token expiry, the row as an object when it is written
    taken for sending)."""
    if not rows:
        return []
    if len({values["reply_token"] for values in rows}) < len(rows):
        raise ValueError("a reply token answered twice")  # each event has its own: never on the event path
    written = session.execute(_QUEUE_REPLIES, list(rows) if len(rows) > 1 else rows[0])
    by_token = {token: int(row_id) for row_id, token in written}
    ids = [by_token[values["reply_token"]] for values in rows]
    return [(row_id, values["token_expires_at"], OutboxMessage(id=row_id, **values) if values["status"] == "sending"
             else None) for row_id, values in zip(ids, rows, strict=True)]  # fmt: skip


def enqueue_reply(
    session: Session,
    *,
    chat_id: str,
    reply_token: str,
    messages: Sequence[dict[str, Any]],
    event_time: datetime,
    inbox_event_id: int | None = None,
) -> OutboxMessage:
    """A reply queued pending, returned as an object of the session (for callers off the
    event path)."""
    values = reply_values(chat_id=chat_id, reply_token=reply_token, messages=messages, event_time=event_time,
                          inbox_event_id=inbox_event_id)  # fmt: skip
    [(row_id, _expires, _row)] = write_replies(session, [values])
    row = session.get(OutboxMessage, row_id)
    assert row is not None
    return row


def enqueue_push(
    session: Session,
    *,
    chat_id: str,
    messages: Sequence[dict[str, Any]],
    purpose: str,
    dedupe_key: str | None = None,
    inbox_event_id: int | None = None,
    retry_key: str | None = None,
) -> OutboxMessage | None:
    """Queue a push. With a dedupe key already in the ledger, nothing is queued (None).
    A scheduled message passes the ``retry_key`` derived from its ledger row."""
    now = utcnow()
    values = {
        "kind": "push",
        "chat_id": chat_id,
        "reply_token": None,
        "retry_key": retry_key or str(uuid.uuid4()),
        "dedupe_key": dedupe_key,
        "purpose": purpose,
        "messages": _dump(messages),
        "inbox_event_id": inbox_event_id,
        "status": "pending",
        "attempts": 0,
        "fallback_push": False,
        "cost": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert = dialect_insert(session)
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing().returning(OutboxMessage.id)
    new_id = session.execute(stmt).scalar_one_or_none()
    return None if new_id is None else session.get(OutboxMessage, new_id)


def enqueue_pushes(session: Session, pushes: Sequence[tuple[str, Sequence[dict[str, Any]], str, str, str]]) -> dict[str, int]:
    """Queue many pushes in one statement: (chat id, messages, purpose, dedupe key, retry
    key) each; returns dedupe key -> row id of those queued (a key already there is skipped)."""
    if not pushes:
        return {}
    now = utcnow()
    values = [
        {"kind": "push", "chat_id": chat_id, "reply_token": None, "retry_key": retry_key, "dedupe_key": dedupe_key,
         "purpose": purpose, "messages": _dump(messages), "inbox_event_id": None, "status": "pending", "attempts": 0,
         "fallback_push": False, "cost": 0, "next_attempt_at": now, "created_at": now}
        for chat_id, messages, purpose, dedupe_key, retry_key in pushes
    ]  # fmt: skip
    stmt = dialect_insert(session)(OutboxMessage).values(values).on_conflict_do_nothing()
    rows = session.execute(stmt.returning(OutboxMessage.dedupe_key, OutboxMessage.id))
    return {str(key): int(row_id) for key, row_id in rows}


def rows_for_event(session: Session, inbox_event_id: int) -> list[int]:
    query = select(OutboxMessage.id).where(
        OutboxMessage.inbox_event_id == inbox_event_id, OutboxMessage.status == "pending"
    )
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def deadline_of(row: OutboxMessage) -> datetime | None:
    """When the row stops being deliverable as it is: a reply's token expiry, else None.
    Delivery sends the rows closest to their deadline first."""
    return row.token_expires_at if row.kind == "reply" else None


def due_ids(
    session: Session,
    *,
    stale_after: timedelta,
    now: datetime | None = None,
    fresh_for: timedelta = FRESH,
    limit: int = 100,
) -> list[int]:
    return [row.id for row in due_rows(session, stale_after=stale_after, now=now, fresh_for=fresh_for, limit=limit)]


def due_rows(
    session: Session,
    *,
    stale_after: timedelta,
    now: datetime | None = None,
    fresh_for: timedelta = FRESH,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Rows for the sweeper: pushes due for another try, rows their worker never got to
    (pending past ``fresh_for``), and rows left in "sending" by a worker that died.
    Replies come first, the oldest token first (it expires first)."""
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == "pending")
                & (OutboxMessage.next_attempt_at <= now)
                & ((OutboxMessage.attempts > 0) | (OutboxMessage.created_at <= now - fresh_for)),
                (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now - stale_after),
            )
        )
        .order_by(OutboxMessage.token_expires_at.is_(None), OutboxMessage.token_expires_at, OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def begin_sending(session: Session, row_id: int, *, stale_before: datetime | None = None) -> OutboxMessage | None:
    """Take a pending row that is due for sending, or, with ``stale_before``, a row left
    in "sending" since before then. None when another worker has it (of two racing, one
    wins) or its next try is not due yet."""
    if stale_before is None:
        claimable = (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= utcnow())
    else:
        claimable = (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= stale_before)
    won = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, claimable)
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=utcnow())
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    ).first()
    return won


def begin_sending_many(session: Session, row_ids: Sequence[int]) -> list[OutboxMessage]:
    """Take many pending rows for sending in one UPDATE (as ``begin_sending`` does one);
    the rows won come back whole, the nearest deadline first."""
    now = utcnow()
    won = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.status == "pending",
               OutboxMessage.next_attempt_at <= now)
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    ).all()  # fmt: skip
    return nearest_deadline_first(won)


_FAR = datetime(9999, 1, 1, tzinfo=UTC)


def nearest_deadline_first(rows: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Rows in the order delivery sends them: the reply whose token runs out first, pushes last."""
    return sorted(rows, key=lambda row: (deadline_of(row) or _FAR, row.id))


_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("row_ids", expanding=True)))
    .values(status="sent", last_error=None, sent_at=bindparam("sent_at"), cost=0)
)


def finish_many(session: Session, ends: Sequence[tuple[int, str, str | None, int]]) -> None:
    """Record how many sends ended, (row id, status, error, cost) each: the plain "sent"
    replies in one UPDATE (built once), the rest one by one."""
    plain = [row_id for row_id, status, error, cost in ends if status == "sent" and not error and not cost]
    if plain:
        session.execute(_SENT, {"row_ids": plain, "sent_at": utcnow()})
    for row_id, status, error, cost in ends:
        if not (status == "sent" and not error and not cost):
            finish(session, row_id, status, error=error, cost=cost)


def finish(session: Session, row_id: int, status: str, *, error: str | None = None, cost: int = 0) -> None:
    """Record how a send ended (sent, failed, dropped): one UPDATE, no read first."""
    values: dict[str, Any] = {"status": status, "last_error": error[:4000] if error else None}
    if status == "sent":
        values.update(sent_at=utcnow(), cost=cost)
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


def schedule_retry(session: Session, row_id: int, *, error: str, delay: timedelta) -> None:
    """A push that failed transiently: back to pending, due after ``delay``, same retry key."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="pending", last_error=error[:4000], next_attempt_at=utcnow() + delay)
        .execution_options(synchronize_session=False)
    )


def give_up_stale_reply(session: Session, row_id: int, *, stale_before: datetime) -> bool:
    """A reply left in "sending" by a dead worker may have reached LINE: mark it
    unknown rather than send it again (its token is single-use)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.kind == "reply",
            OutboxMessage.status == "sending",
            OutboxMessage.next_attempt_at <= stale_before,
        )
        .values(status="unknown", last_error="worker stopped while sending; reply not retried")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def usage_since(session: Session, since: datetime) -> dict[str, int]:
    """Pushes sent and quota units spent since a time (for the quota guard and reports)."""
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(OutboxMessage.cost), 0)).where(
            OutboxMessage.kind == "push", OutboxMessage.status == "sent", OutboxMessage.sent_at >= since
        )
    ).one()
    return {"pushes": int(row[0]), "cost": int(row[1])}


def messages_of(row: OutboxMessage) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(row.messages)
    return loaded


def _dump(messages: Sequence[dict[str, Any]]) -> str:
    if not 1 <= len(messages) <= 5:
        raise ValueError(f"LINE sends 1 to 5 messages at once, got {len(messages)}")
    return json.dumps(list(messages), ensure_ascii=False, separators=(",", ":"))

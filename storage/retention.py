"""Retention: the inbox and the outbox are the bot's machinery, not its records, and are
purged after ``KAONA_RETENTION_DAYS`` (default 90) by the clock, daily, and by
``kaona purge [--dry-run]``.

What goes, older than the retention (by when it was received / queued):
- inbox events in a final state: ``done``, ``ignored``, ``standby`` (stored, never to be
  processed) and ``parked`` (given up on; past the retention an event is too old to be
  answered, so `kaona inbox --retry-parked` would be pointless);
- outbox rows in a final state: ``sent``, ``failed``, ``dropped``, ``unknown``.

What never goes: inbox events ``pending`` or ``processing`` and outbox rows ``pending``
or ``sending`` (still in flight, however old), any status not named above, and every
other table. In particular ``send_ledger`` is kept whole: its unique claim per (chat,
scope, month, occasion) is what sends each reminder and digest once, and the outbox's
``dedupe_key`` of a scheduled message is derived from a ledger row's id, which is never
reused because ledger rows are never deleted. The retention is at least 32 days, so this
month's sent pushes (the quota guard's count) and LINE's redeliveries (deduplicated on
the inbox's webhook event id) are always still there.

Rows go in small batches, one short transaction each: on SQLite a purge never holds
the write lock long enough to delay a webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.db import utcnow
from storage.models import InboxEvent, OutboxMessage

INBOX_FINAL = ("done", "ignored", "standby", "parked")
OUTBOX_FINAL = ("sent", "failed", "dropped", "unknown")
MIN_DAYS = 32
BATCH = 2000


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    inbox: int
    outbox: int
    dry_run: bool = False


def _inbox_old(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    return (InboxEvent.status.in_(INBOX_FINAL), InboxEvent.received_at < cutoff)


def _outbox_old(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    return (OutboxMessage.status.in_(OUTBOX_FINAL), OutboxMessage.created_at < cutoff)


def purge(
    sessions: sessionmaker[Session], *, days: int, now: datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    """Delete (or with ``dry_run`` count) what the retention allows; see the module."""
    if days < MIN_DAYS:
        raise ValueError(f"retention must be at least {MIN_DAYS} days, got {days}")
    cutoff = (now or utcnow()) - timedelta(days=days)
    if dry_run:
        with sessions() as session:
            inbox = session.scalar(select(func.count()).select_from(InboxEvent).where(*_inbox_old(cutoff))) or 0
            outbox = session.scalar(select(func.count()).select_from(OutboxMessage).where(*_outbox_old(cutoff))) or 0
        return PurgeResult(cutoff, int(inbox), int(outbox), dry_run=True)
    inbox = _in_batches(sessions, InboxEvent, _inbox_old(cutoff))
    outbox = _in_batches(sessions, OutboxMessage, _outbox_old(cutoff))
    return PurgeResult(cutoff, inbox, outbox)


def _in_batches(
    sessions: sessionmaker[Session], model: type[InboxEvent] | type[OutboxMessage], where: tuple[ColumnElement[bool], ...]
) -> int:
    total = 0
    while True:
        with sessions() as session, session.begin():
            ids = list(session.scalars(select(model.id).where(*where).order_by(model.id).limit(BATCH)))
            if ids:
                session.execute(delete(model).where(model.id.in_(ids)))
        total += len(ids)
        if len(ids) < BATCH:
            return total

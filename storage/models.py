"""SQLAlchemy 2 typed models of the bot's own machinery: the inbox, the outbox, the state store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base

# Autoincrementing 64-bit keys on PostgreSQL, plain INTEGER (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class InboxEvent(Base):
    """A webhook event, stored before LINE gets its 200, processed afterwards.

    status: pending -> processing -> done | parked (failed too often) ;
    standby (stored, never processed) ; ignored (a type the bot does not handle).
    """

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    # Events with the same order key are handled one at a time, oldest first.
    order_key: Mapped[str] = mapped_column(String(140))
    event_ts: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[str] = mapped_column(String(16), default="active")
    is_redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_inbox_claim", "status", "available_at"),
        Index("ix_inbox_order", "order_key", "event_ts", "id"),
    )


class OutboxMessage(Base):
    """One reply or push: the ledger entry written in the same transaction as the
    change that caused it, delivered after commit.

    status: pending -> sending -> sent | failed | dropped | unknown (a reply cut off
    mid-send: it may have arrived, so it is not sent again); a push that failed
    transiently goes back to pending with the SAME retry key.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # reply | push
    chat_id: Mapped[str] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(128))
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    # For scheduled messages: one ledger entry per (purpose, period, recipient).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(40), default="reply")
    messages: Mapped[str] = mapped_column(Text)
    inbox_event_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fallback_push: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[int] = mapped_column(Integer, default=0)
    token_expires_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class StateEntry(Base):
    """Key-value entries with an expiry: conversation state and idempotency keys
    when no Redis is configured."""

    __tablename__ = "state_entries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None]

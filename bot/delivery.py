"""Delivering outbox rows to LINE, after the transaction that wrote them committed.

Replies are tried once. When the reply token has expired (the worker was late),
``expired_reply_policy`` decides: "push" (the default) sends the same messages as
a push, marked ``fallback_push`` so it is counted; "drop" gives up. A push keeps
its retry key across every try, in the gateway and across sweeps, so LINE
delivers it at most once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.services import Services
from plans.errors import (
    InvalidReplyToken,
    LineApiError,
    LineRateLimited,
    LineServerError,
    LineUnavailable,
)
from storage import access, outbox
from storage.db import utcnow
from storage.models import OutboxMessage

log = logging.getLogger(__name__)


def deliver(services: Services, row_id: int, *, stale_before: datetime | None = None) -> str:
    """Send one row (a pending one, or with ``stale_before`` one a dead worker left
    mid-send); returns its status after this try."""
    with services.sessions() as session, session.begin():
        row = outbox.begin_sending(session, row_id, stale_before=stale_before)
    if row is None:
        return "taken"
    if row.kind == "reply":
        status = _reply(services, row)
        if status != "expired":
            return status
        if services.settings.expired_reply_policy == "drop":
            return _finish(services, row.id, "dropped", error="reply token expired; policy: drop")
        log.warning("reply token expired for outbox %s; falling back to a push", row.id)
        with services.sessions() as session, session.begin():
            fresh = session.get(OutboxMessage, row.id)
            assert fresh is not None
            fresh.kind, fresh.fallback_push, fresh.reply_token = "push", True, None
        row.kind, row.fallback_push = "push", True
    return _push(services, row)


def _reply(services: Services, row: OutboxMessage) -> str:
    if row.token_expires_at is not None and utcnow() >= row.token_expires_at:
        return "expired"
    try:
        services.gateway.reply(row.reply_token or "", outbox.messages_of(row))
    except InvalidReplyToken:
        return "expired"
    except LineApiError as exc:
        # The token may or may not have been used: never retry a reply blindly.
        return _finish(services, row.id, "failed", error=str(exc))
    return _finish(services, row.id, "sent")


def _push(services: Services, row: OutboxMessage) -> str:
    with services.sessions() as session:
        reachable = access.can_push(session, row.chat_id)
    if not reachable:
        return _finish(services, row.id, "dropped", error="the bot left this group or the person blocked it")
    try:
        services.gateway.push(row.chat_id, outbox.messages_of(row), retry_key=row.retry_key)
    except LineRateLimited as exc:
        if exc.quota_exhausted:
            return _finish(services, row.id, "failed", error=f"monthly quota exhausted: {exc}")
        return _again(services, row, str(exc))
    except (LineServerError, LineUnavailable) as exc:
        return _again(services, row, str(exc))
    except LineApiError as exc:
        return _finish(services, row.id, "failed", error=str(exc))
    return _finish(services, row.id, "sent", cost=_cost(services, row.chat_id))


def _again(services: Services, row: OutboxMessage, error: str) -> str:
    if row.attempts >= services.settings.max_attempts:
        return _finish(services, row.id, "failed", error=error)
    with services.sessions() as session, session.begin():
        fresh = session.get(OutboxMessage, row.id)
        assert fresh is not None
        fresh.status = "pending"
        fresh.last_error = error[:4000]
        fresh.next_attempt_at = utcnow() + timedelta(seconds=min(600, 15 * 2**row.attempts))
    return "pending"


def _finish(services: Services, row_id: int, status: str, *, error: str | None = None, cost: int = 0) -> str:
    with services.sessions() as session, session.begin():
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        row.status = status
        row.last_error = error[:4000] if error else None
        if status == "sent":
            row.sent_at = utcnow()
            row.cost = cost
    if status in ("failed", "dropped", "unknown"):
        log.error("outbox %s %s: %s", row_id, status, error)
    return status


def _cost(services: Services, chat_id: str) -> int:
    """Quota units a push to this chat used: one per member in a group or room."""
    if chat_id.startswith("U"):
        return 1
    try:
        return services.gateway.group_member_count(chat_id)
    except LineApiError:
        return 1


def sweep(services: Services) -> int:
    """Retry what is due: pushes that failed transiently or were cut off mid-send, and
    rows whose worker died before sending. A reply cut off mid-send is marked
    unknown, not resent (its token may be spent)."""
    stale_before = utcnow() - timedelta(seconds=services.settings.outbox_stale_seconds)
    with services.sessions() as session:
        ids = outbox.due_ids(session, stale_after=timedelta(seconds=services.settings.outbox_stale_seconds))
    for row_id in ids:
        with services.sessions() as session:
            row = session.get(OutboxMessage, row_id)
            status, kind = (row.status, row.kind) if row else (None, None)
        if status == "sending" and kind == "reply":
            with services.sessions() as session, session.begin():
                if outbox.give_up_stale_reply(session, row_id, stale_before=stale_before):
                    log.error("outbox %s: reply cut off mid-send; not retried", row_id)
        elif status == "sending":
            deliver(services, row_id, stale_before=stale_before)
        elif status == "pending":
            deliver(services, row_id)
    return len(ids)

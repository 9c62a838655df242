"""Delivering outbox rows to LINE, after the transaction that wrote them committed.

A reply LINE certainly refused (a 5xx or 429 answer, or no connection) is tried again
while its token lives; a reply whose outcome is unknown (a timeout after it was sent)
is never resent, only counted ("unknown"). When the reply token has expired (the
worker was late, or LINE kept refusing), ``expired_reply_policy`` decides: "push"
(the default) sends the same messages as a push, marked ``fallback_push`` so it is
counted; "drop" gives up. A push keeps
its retry key across every try; a try that fails transiently is scheduled in the
row (``next_attempt_at``) for the sweeper, never slept on, so LINE delivers it at
most once and no thread waits.

No database transaction is open while a call to LINE is in flight: a row is taken
("sending") in one short transaction (the worker's: in the unit of work that wrote
it, ``bot.processing.process_batch(take=True)``) and closed in another; a taken row
is sent as it is (no read back), and the ends of many sends are recorded together
(``Finisher``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.services import Services
from plans.errors import (
    InvalidReplyToken,
    LineApiError,
    LineQuotaExhausted,
    LineRateLimited,
    LineServerError,
    LineUnavailable,
    LineUnreachable,
)
from storage import access, outbox
from storage.db import utcnow
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
FINAL = ("sent", "failed", "dropped", "unknown")
# Hands a row to a delivery pool: (row id, its deadline, stale_before for a row cut off mid-send).
Submit = Callable[[int, datetime | None, datetime | None], None]
# How a send ended: (row id, status, error, quota cost).
End = tuple[int, str, str | None, int]
# Records how a send ended: (row id, status, error, quota cost) -> the status.
Finish = Callable[..., str]


def deliver(services: Services, row_id: int, *, stale_before: datetime | None = None) -> str:
    """Send one row (a pending one that is due, or with ``stale_before`` one a dead worker
    left mid-send); returns its status after this try ("taken": not this caller's)."""
    with services.sessions() as session, session.begin():
        row = outbox.begin_sending(session, row_id, stale_before=stale_before)
    if row is None:
        return "taken"
    return send_taken(services, row, resend=stale_before is not None)


def send_taken(services: Services, row: OutboxMessage, finish: Finish | None = None, *, resend: bool = False) -> str:
    """Send a row this caller has taken ("sending"). ``finish`` records how it ended
    (by default at once, in a transaction of its own). ``resend``: the row was cut off
    mid-send by a process that died, so LINE may have taken it already."""
    done = finish or _finisher(services)
    if row.kind != "reply":
        return _push(services, row, done)
    if reply_expired(row):
        return after_reply(services, row, EXPIRED, done, resend=resend)
    try:
        services.gateway.reply(row.reply_token or "", outbox.messages_of(row))
    except LineApiError as exc:
        return after_reply(services, row, exc, done, resend=resend)
    return after_reply(services, row, None, done, resend=resend)


class _Expired:
    """The reply's token ran out before it was sent (no call was made)."""


EXPIRED = _Expired()
# What kept a reply from being sent: LINE's refusal, or its token running out.
ReplyError = LineApiError | _Expired


def reply_expired(row: OutboxMessage) -> bool:
    return row.token_expires_at is not None and utcnow() >= row.token_expires_at


def after_reply(
    services: Services,
    row: OutboxMessage,
    error: ReplyError | None,
    finish: Finish | None = None,
    *,
    resend: bool = False,
) -> str:
    """Settle a reply after its call to LINE (``error``: None when LINE took it): sent,
    tried again while its token lives, or, once the token has run out, what
    ``expired_reply_policy`` says (the same messages as a counted push, or dropped)."""
    done = finish or _finisher(services)
    status = _reply_outcome(services, row, error, done, resend=resend)
    if status != "expired":
        return status
    if services.settings.expired_reply_policy == "drop":
        return done(row.id, "dropped", "reply token expired; policy: drop")
    log.warning("reply token expired for outbox %s; falling back to a push", row.id)
    with services.sessions() as session, session.begin():
        fresh = session.get(OutboxMessage, row.id)
        assert fresh is not None
        fresh.kind, fresh.fallback_push, fresh.reply_token = "push", True, None
    row.kind, row.fallback_push = "push", True
    return _push(services, row, done)


def _finisher(services: Services) -> Finish:
    return lambda row_id, status, error=None, cost=0: _finish(services, row_id, status, error=error, cost=cost)


class Finisher:
    """Records how sends ended, many rows in one transaction: a delivery thread that
    finds no write in progress writes what has gathered (its own and others'), the
    others only add theirs (group commit; on SQLite one write lock for many sends).
    A row whose end was never written stays "sending" and is the sweeper's."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._pending: list[End] = []
        self._writing = False

    def __call__(self, row_id: int, status: str, error: str | None = None, cost: int = 0) -> str:
        if status in ("failed", "dropped", "unknown"):
            log.error("outbox %s %s: %s", row_id, status, error)
        with self._lock:
            self._pending.append((row_id, status, error, cost))
            if self._writing:
                return status
            self._writing = True
        try:
            while True:
                with self._lock:
                    ends, self._pending = self._pending, []
                    if not ends:
                        self._writing = False
                        return status
                self.write(ends)
        except BaseException:
            with self._lock:
                self._writing = False
            raise

    def write(self, ends: Sequence[End]) -> None:
        """Record these ends now, in one transaction."""
        try:
            with self._services.sessions() as session, session.begin():
                outbox.finish_many(session, ends)
        except Exception:  # noqa: BLE001 - the rows stay "sending"; the sweeper settles them
            log.exception("outbox: the end of %d sends not recorded", len(ends))


def _reply_outcome(
    services: Services, row: OutboxMessage, error: ReplyError | None, finish: Finish, *, resend: bool
) -> str:
    if error is None:
        return finish(row.id, "sent")
    if isinstance(error, _Expired):
        return "expired"
    if isinstance(error, InvalidReplyToken):
        if resend:  # the token was most likely spent by the send that was cut off: no push
            return finish(row.id, "unknown", "reply cut off mid-send; LINE had taken its token")
        return "expired"
    if isinstance(error, LineRateLimited | LineServerError | LineUnreachable):
        # LINE certainly did not take it (a 429 or a 5xx answer, or no connection at
        # all), so the token is unused: try again while it lives, else as a push.
        return _reply_again(services, row, error)
    if isinstance(error, LineUnavailable):
        # A timeout after the request went out: LINE may have delivered it. Sending
        # it again could say it twice, so it is left unsent and counted as unknown.
        return finish(row.id, "unknown", f"reply outcome unknown: {error}")
    # The request broke a rule (400) or was not allowed: trying again cannot help.
    return finish(row.id, "failed", str(error))


# A reply retried this long before its token expires would likely be too late.
REPLY_MARGIN = timedelta(seconds=2)


def _reply_again(services: Services, row: OutboxMessage, exc: LineApiError) -> str:
    """Schedule the reply's next try within its token's minute, or, if the next try
    would come too late, hand it to the expired-token policy (a push, or drop)."""
    delay = retry_delay(services, row.attempts, exc)
    expires = row.token_expires_at or utcnow()
    if utcnow() + delay + REPLY_MARGIN >= expires:
        log.warning("reply outbox %s refused by LINE (%s) with no time left on its token", row.id, exc)
        return "expired"
    log.warning("reply outbox %s refused by LINE (%s); try %d in %.1fs", row.id, exc, row.attempts + 1,
                delay.total_seconds())
    with services.sessions() as session, session.begin():
        outbox.schedule_retry(session, row.id, error=str(exc), delay=delay)
    return "pending"


def _push(services: Services, row: OutboxMessage, finish: Finish) -> str:
    with services.reading() as session:
        reachable = access.can_push(session, row.chat_id)
    if not reachable:
        return finish(row.id, "dropped", "the bot left this group or the person blocked it")
    try:
        services.gateway.push(row.chat_id, outbox.messages_of(row), retry_key=row.retry_key)
    except LineQuotaExhausted as exc:
        return finish(row.id, "failed", f"monthly quota exhausted: {exc}")
    except (LineRateLimited, LineServerError, LineUnavailable) as exc:
        return _again(services, row, exc, finish)
    except LineApiError as exc:
        return finish(row.id, "failed", str(exc))
    # A 409 (LINE took this retry key before) counts as sent: it was delivered once.
    return finish(row.id, "sent", None, _cost(services, row.chat_id))


def retry_delay(services: Services, attempts: int, exc: LineApiError) -> timedelta:
    """How long a push waits after its ``attempts``-th try: what LINE asked, else backoff."""
    base = services.settings.push_backoff_base * 2 ** max(0, attempts - 1)
    return timedelta(seconds=exc.retry_after if exc.retry_after is not None else min(600.0, base))


def _again(services: Services, row: OutboxMessage, exc: LineApiError, finish: Finish) -> str:
    if row.attempts > services.settings.push_max_retries:
        return finish(row.id, "failed", str(exc))
    delay = retry_delay(services, row.attempts, exc)
    log.warning("push outbox %s failed (%s); try %d in %.1fs with the same key",
                row.id, exc, row.attempts + 1, delay.total_seconds())  # fmt: skip
    with services.sessions() as session, session.begin():
        outbox.schedule_retry(session, row.id, error=str(exc), delay=delay)
    return "pending"


def _finish(services: Services, row_id: int, status: str, *, error: str | None = None, cost: int = 0) -> str:
    with services.sessions() as session, session.begin():
        outbox.finish(session, row_id, status, error=error, cost=cost)
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


def sweep(services: Services, *, send: Submit | None = None) -> int:
    """Retry what is due: pushes whose next try has come, rows cut off mid-send, and
    rows whose worker died before sending. ``send`` hands rows to a delivery pool;
    without it they are sent here, one after the other.

    A row is taken for cut off once no live sender can still be waiting on LINE for it
    (the call's timeouts, plus a margin). Sending it again cannot say it twice: a push
    carries its retry key, and a reply token is single-use, so LINE refuses a second
    reply on it ("unknown" then, never a push). A reply whose token has run out is
    marked unknown: a push could repeat what the cut-off send delivered."""
    stale_after = min(timedelta(seconds=services.settings.outbox_stale_seconds), in_flight_limit(services))
    stale_before = utcnow() - stale_after
    with services.reading() as session:
        due = [
            (row.id, row.status, row.kind, outbox.deadline_of(row))
            for row in outbox.due_rows(session, stale_after=stale_after)
        ]
    for row_id, status, kind, deadline in due:
        cut_off = status == "sending"
        if cut_off and kind == "reply" and (deadline is None or deadline - utcnow() <= REPLY_MARGIN):
            with services.sessions() as session, session.begin():
                if outbox.give_up_stale_reply(session, row_id, stale_before=stale_before):
                    log.error("outbox %s: reply cut off mid-send and its token has run out; not retried", row_id)
        elif send is not None:
            send(row_id, deadline, stale_before if cut_off else None)
        else:
            deliver(services, row_id, stale_before=stale_before if cut_off else None)
    return len(due)


def in_flight_limit(services: Services) -> timedelta:
    """The longest a live sender can wait on one call to LINE, with a margin."""
    settings = services.settings
    return timedelta(seconds=settings.line_connect_timeout + settings.line_read_timeout + 2.0)

"""A dependency outage (the database or Redis not answering) as opposed to a bad event.

A use case that fails because Redis or the database is down has done nothing wrong:
its event is put back, not counted as a try, and tried again every few seconds until
the dependency answers (``delay``), so a 15-second Redis outage parks nothing and every
event is answered once it is back. The alarm logs once when an outage starts and once
when it ends, instead of a traceback per event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from sqlalchemy.exc import InterfaceError, OperationalError

from plans.errors import LostLease, StorageError

log = logging.getLogger(__name__)
# The wait before an event deferred by an outage is tried again: short, since the
# reply token lives a minute; capped, since an outage may last minutes.
FIRST_DELAY, MAX_DELAY = 1.0, 10.0


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is a dependency not answering."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, LostLease):
            return False
        if isinstance(seen, StorageError | OperationalError | InterfaceError):
            return True
        if _is_redis_connection_error(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_redis_connection_error(exc: BaseException) -> bool:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


class OutageAlarm:
    """One per process: counts events deferred during an outage and logs its start and end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._deferred = 0
        self._ids: set[int] = set()  # events deferred in this outage
        self._held: dict[int, str] = {}  # events claimed here that could not be put back yet

    @property
    def active(self) -> bool:
        return self._since is not None

    def deferred(self, error: str, event_id: int | None = None) -> float:
        """An event was put back because of ``error`` (or, without ``event_id``, the
        worker could not even claim); returns how long the event should wait."""
        with self._lock:
            if event_id is not None:
                self._deferred += 1
                self._ids.add(event_id)
            if self._since is None:
                self._since = time.monotonic()
                log.error("dependency outage: %s; events are kept and retried until it answers", error)
            elapsed = time.monotonic() - self._since
        return min(MAX_DELAY, FIRST_DELAY + elapsed / 3)

    def hold(self, event_id: int, error: str) -> None:
        """An event this process claimed could not be put back (the database is down):
        kept here, and put back as soon as the database answers, not when its lease
        runs out a minute later."""
        with self._lock:
            self._held[event_id] = error

    def take_held(self) -> dict[int, str]:
        with self._lock:
            held, self._held = self._held, {}
        return held

    def recovered(self, done: Iterable[int] = ()) -> None:
        """Events went through (``done``, their ids): the outage is over once one it
        deferred does (an event that needs nothing of what is down proves nothing)."""
        if self._since is None:
            return
        with self._lock:
            if self._since is None or (self._ids and not self._ids.intersection(done)):
                return
            lasted, count = time.monotonic() - self._since, self._deferred
            self._since, self._deferred, self._ids = None, 0, set()
        log.warning("dependency outage over after %.0f s; %d event(s) were deferred and are being answered",
                    lasted, count)

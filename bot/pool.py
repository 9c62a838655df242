"""The delivery pool: threads that only wait on LINE, so many calls are in flight at once.

A call to LINE takes milliseconds, or seconds when LINE is slow; a reply token lives
about a minute (with 200 threads and LINE answering in 2 s, 100 calls a second). So delivery is decoupled from processing: the worker hands each
outbox row over and goes on with the next event. Rows go out by urgency: replies
first, the one whose token expires first at the head; then pushes; then the small
chores (display-name look-ups). Threads are started as work arrives, up to
``size``, and end after a while idle, so a quiet process keeps few.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime

from bot.delivery import Finisher, deliver, send_taken
from bot.services import Services
from storage import outbox
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
REPLY, PUSH, CHORE, STOP = 0, 1, 2, 9
Item = tuple[int, float, int, Callable[[], object] | None]


class DeliveryPool:
    def __init__(self, services: Services, *, size: int, idle_seconds: float = 30.0) -> None:
        self._services = services
        self._size = max(1, size)
        self._idle_seconds = idle_seconds
        self._queue: queue.PriorityQueue[Item] = queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._stopping = False
        self._names = itertools.count()
        self._finish = Finisher(services)

    def send(self, row_id: int, deadline: datetime | None, stale_before: datetime | None = None) -> None:
        """Deliver an outbox row soon: the nearer its deadline, the sooner."""
        rank, key = (REPLY, deadline.timestamp()) if deadline is not None else (PUSH, 0.0)
        self._put(rank, key, lambda: deliver(self._services, row_id, stale_before=stale_before))

    def send_taken(self, row: OutboxMessage) -> None:
        """Deliver a row already taken for sending (``bot.delivery.take``), as it is;
        the ends of such sends are recorded together."""
        deadline = outbox.deadline_of(row)
        rank, key = (REPLY, deadline.timestamp()) if deadline is not None else (PUSH, 0.0)
        self._put(rank, key, lambda: send_taken(self._services, row, self._finish))

    def chore(self, task: Callable[[], object]) -> None:
        """Run a small task that waits on LINE, after every pending send."""
        self._put(CHORE, 0.0, task)

    def backlog(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then end the threads."""
        with self._lock:
            self._stopping = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put((STOP, 0.0, next(self._order), None))
        for thread in threads:
            thread.join(timeout)

    def _put(self, rank: int, key: float, task: Callable[[], object]) -> None:
        self._queue.put((rank, key, next(self._order), task))
        with self._lock:
            if self._stopping or self._idle >= self._queue.qsize() or len(self._threads) >= self._size:
                return
            thread = threading.Thread(target=self._run, name=f"kaona-delivery-{next(self._names)}", daemon=True)
            self._threads.add(thread)
        thread.start()

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                self._idle += 1
            try:
                _rank, _key, _n, task = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._queue.empty():
                        self._threads.discard(me)
                        return
                continue
            with self._lock:
                self._idle -= 1
            if task is None:
                with self._lock:
                    self._threads.discard(me)
                return
            try:
                task()
            except Exception:  # noqa: BLE001 - one failed send must not end the thread; the sweeper retries
                log.exception("delivery task failed")

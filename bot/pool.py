"""The delivery pool: many calls to LINE in flight at once, the most urgent first.

A call to LINE takes milliseconds, or seconds when LINE is slow; a reply token lives
about a minute. So delivery is decoupled from processing: the worker hands each
outbox row over and goes on with the next event.

- The replies the worker takes (the event path) go out on one asyncio thread through
  the SDK's aiohttp client, up to ``replies_in_flight`` at once per process: with LINE
  answering in 2 s, 500 in flight are 250 replies a second, where a thread per call
  needed as many threads. Past that, the reply whose token expires first goes next.
  Those LINE took are recorded many to a transaction by one thread; a reply LINE
  refused, or one whose token ran out, is settled on a thread (a retry, or a push).
- Everything else (pushes, rows the sweeper hands over, those settlements, the small
  chores such as display-name look-ups) runs on up to ``size`` threads: replies
  first, the one whose token expires first at the head; then pushes; then chores.
  Threads are started as work arrives and end after a while idle, so a quiet process
  keeps few.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

from bot.delivery import (
    EXPIRED,
    End,
    Finisher,
    ReplyError,
    after_reply,
    deliver,
    reply_expired,
    send_taken,
)
from bot.gateway import AsyncReplies
from bot.services import Services
from plans.errors import LineApiError
from storage import outbox
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
REPLY, PUSH, CHORE, STOP = 0, 1, 2, 9
# The replies LINE took are recorded at most this often per process, all that ended
# meanwhile in one transaction (on SQLite each takes the write lock webhooks wait for).
RECORD_PACE = 0.05
Item = tuple[int, float, int, Callable[[], object] | None]


class DeliveryPool:
    def __init__(self, services: Services, *, size: int, in_flight: int | None = None,
                 idle_seconds: float = 30.0) -> None:  # fmt: skip
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
        self._replies = _Replies(services, self, self._finish, in_flight or services.settings.replies_in_flight)

    def send(self, row_id: int, deadline: datetime | None, stale_before: datetime | None = None) -> None:
        """Deliver an outbox row soon: the nearer its deadline, the sooner."""
        rank, key = (REPLY, deadline.timestamp()) if deadline is not None else (PUSH, 0.0)
        self._put(rank, key, lambda: deliver(self._services, row_id, stale_before=stale_before))

    def send_taken(self, row: OutboxMessage) -> None:
        """Deliver a row already taken for sending (``process_batch(take=True)``), as it is; a
        reply goes out on the asyncio thread, a push on a thread."""
        deadline = outbox.deadline_of(row)
        if row.kind == "reply" and deadline is not None:
            self._replies.send(row, deadline.timestamp())
            return
        self._put(PUSH, 0.0, lambda: send_taken(self._services, row, self._finish))

    def settle(self, key: float, task: Callable[[], object]) -> None:
        """Finish a reply on a thread (LINE refused it, or its token ran out), ahead of
        pushes: ``key`` is its token's deadline."""
        self._put(REPLY, key, task)

    def chore(self, task: Callable[[], object]) -> None:
        """Run a small task that waits on LINE, after every pending send."""
        self._put(CHORE, 0.0, task)

    def backlog(self) -> int:
        return self._queue.qsize() + self._replies.backlog()

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then end the threads."""
        self._replies.stop(timeout)
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


class _Replies:
    """The event path's replies: one asyncio loop thread (started with the first reply)
    keeps up to ``in_flight`` calls open, the nearest deadline first; one thread records
    the replies LINE took, as many to a transaction as have gathered."""

    def __init__(self, services: Services, pool: DeliveryPool, finish: Finisher, in_flight: int) -> None:
        self._services = services
        self._pool = pool
        self._finish = finish
        self._in_flight = max(1, in_flight)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []
        self._sender: AsyncReplies | None = None
        self._waiting: list[tuple[float, int, OutboxMessage]] = []  # a heap; the loop's own
        self._open = 0  # calls in flight; the loop's own
        self._tasks: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak references
        self._order = itertools.count()
        self._ends: queue.SimpleQueue[End | None] = queue.SimpleQueue()

    def send(self, row: OutboxMessage, key: float) -> None:
        self._started().call_soon_threadsafe(self._admit, key, row)

    def backlog(self) -> int:
        return len(self._waiting)

    def stop(self, timeout: float) -> None:
        """Let every reply admitted go out (or ``timeout`` pass), then end both threads."""
        with self._lock:
            loop, threads = self._loop, self._threads
            self._loop, self._threads = None, []
        if loop is None:
            return
        done = asyncio.run_coroutine_threadsafe(self._drain(time.monotonic() + timeout), loop)
        try:
            done.result(timeout + 1.0)
        except Exception:  # noqa: BLE001 - leaving anyway; what was not sent stays "sending" for the sweeper
            log.warning("delivery: replies still in flight at shutdown", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        self._ends.put(None)
        for thread in threads:
            thread.join(timeout)

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                self._threads = [
                    threading.Thread(target=self._run_loop, args=(loop, ready), name="kaona-replies", daemon=True),
                    threading.Thread(target=self._record, name="kaona-reply-ends", daemon=True),
                ]
                for thread in self._threads:
                    thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def _run_loop(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)

        async def open_sender() -> None:  # aiohttp's session belongs to the loop it is made in
            self._sender = self._services.gateway.async_replies(in_flight=self._in_flight)

        loop.run_until_complete(open_sender())
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def _admit(self, key: float, row: OutboxMessage) -> None:
        heapq.heappush(self._waiting, (key, next(self._order), row))
        self._start_more()

    def _start_more(self) -> None:
        loop = asyncio.get_running_loop()
        while self._open < self._in_flight and self._waiting:
            key, _n, row = heapq.heappop(self._waiting)
            self._open += 1
            task = loop.create_task(self._reply(row, key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _reply(self, row: OutboxMessage, key: float) -> None:
        try:
            error: ReplyError | None = None
            if reply_expired(row):
                error = EXPIRED
            else:
                assert self._sender is not None
                try:
                    await self._sender.reply(row.reply_token or "", outbox.messages_of(row))
                except LineApiError as exc:
                    error = exc
            if error is None:
                self._ends.put((row.id, "sent", None, 0))
            else:  # a retry or a push: database writes and maybe another call, on a thread
                failure = error
                self._pool.settle(key, lambda: after_reply(self._services, row, failure, self._finish))
        except Exception:  # noqa: BLE001 - the row stays "sending": the sweeper settles it
            log.exception("delivery: reply outbox %s", row.id)
        finally:
            self._open -= 1
            self._start_more()

    async def _drain(self, deadline: float) -> None:
        while (self._waiting or self._open) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self._sender is not None:
            await self._sender.close()

    def _record(self) -> None:
        while True:
            end = self._ends.get()
            ends: list[End] = []
            stop = end is None
            if end is not None:
                ends.append(end)
            while True:  # everything gathered meanwhile, in the same transaction
                try:
                    more = self._ends.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    ends.append(more)
            if ends:
                self._finish.write(ends)
            if stop:
                return
            time.sleep(RECORD_PACE)  # what ends meanwhile goes in the next transaction

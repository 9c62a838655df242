"""The worker: processes stored events and hands their answers to the delivery pool.

Runs inside the web process by default (one process is a whole deployment), or as
its own process (`kaona worker`) when the Procfile scales out. Built unstarted by
the app factory; the entry points start it (`kaona serve`, `bot.wsgi`, `kaona worker`).

Events reach the processing threads two ways:
- Handed over by the webhook of this process (the worker is its ``InboxWriter``'s
  ``hand_off`` while it runs): the events the worker has room for are claimed in the
  transaction that stores them (``storage.inbox.store_and_claim``) and queued here
  after its commit. No claim of their own, nothing to wake, no look in the inbox.
  Under load they are gathered: those handed over within ``GATHER`` seconds of the
  last batch given to the threads go together, so that a burst costs units of work of
  several events, not one per webhook; the first after a quiet spell goes at once.
- Claimed by the claimer thread, for each idle processing thread a batch of up to
  ``batch`` events in one transaction, each of a different chat (so they may run side
  by side), oldest first: the events stored while the worker had no room, those that
  waited behind an older event of their chat, those of a worker that died, those of
  `kaona worker` (which has no webhook). The claimer looks when told: by the webhook's
  hand-over that left events pending, by a processing thread that finished an event
  whose chat has one waiting, or, in `kaona worker` on PostgreSQL (``listen``), by a
  NOTIFY from any webhook; and once a second (an in-process worker leaves other web
  processes' events to their own workers, and finds them there when those are gone).
A processing thread takes what is queued, up to ``batch`` events of different chats,
and runs it in one unit of work (``bot.processing.process_batch``: one commit for the
batch, no savepoint per event, each reply written already taken for sending), then
hands those rows to the delivery pool as they are.
The claimer also sweeps the outbox for pushes whose retry is due.
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import sys
import threading
import time

from bot.delivery import sweep
from bot.events import IncomingEvent
from bot.outage import is_outage
from bot.pool import DeliveryPool
from bot.processing import LEASE, claim, process_batch, put_back_held
from bot.profiles import refresh_display_name
from bot.services import Services
from handlers.deps import Handler
from handlers.dispatch import dispatch as default_dispatch
from storage import inbox, outbox, sqlite, wakeup

log = logging.getLogger(__name__)
# Events per unit of work: enough that a burst costs a few commits, few enough that
# one slow use case holds back only a handful of others' answers.
BATCH = 16
# Under load, claims come at most this often (see ``_claim_loop``).
PACE = 0.02
# Under load, the events handed over by the webhook go to the processing threads at
# most this often, gathered (see ``accept``): a unit of work of one event costs about
# 1.6 ms of CPU on PostgreSQL, of three 0.66 ms each, of eight 0.39 and of sixteen 0.24.
GATHER = 0.05
# How long a thread back from the database or a socket may wait for the GIL (Python's
# default is 5 ms). A process running the worker has many threads; with this, a webhook
# or a PostgreSQL round trip no longer queues behind a busy processing thread
# (bench.throughput (a) on PostgreSQL: event -> reply p95 141 -> 70 ms, ack p99
# 54 -> 33 ms, in runs back to back).
SWITCH_INTERVAL = 0.0005


# The cyclic garbage collector's thresholds: a young collection every 20,000 net
# allocations, not 700 (Python's default runs one every few events here).
GC_THRESHOLDS = (20_000, 20, 20)
_tuned = 0  # the process whose runtime is tuned


def tune_runtime() -> None:
    """The interpreter settings of a process that runs a worker. The GIL's switch
    interval (``SWITCH_INTERVAL``). And the garbage collector: what the process holds
    once started (modules, the SDK's models, SQLAlchemy's mappers and caches: several
    hundred thousand objects) is frozen out of its scans, and it runs less often; a
    full collection over all of it held every thread of the process for 160-190 ms,
    a few times a second under load (bench.throughput (c): the acknowledgements over
    150 ms came in those moments)."""
    global _tuned
    sys.setswitchinterval(SWITCH_INTERVAL)
    if _tuned == os.getpid():  # once per process: what a later freeze held would never be collected
        return
    _tuned = os.getpid()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class Worker:
    def __init__(
        self,
        services: Services,
        *,
        threads: int | None = None,
        delivery_threads: int | None = None,
        dispatch: Handler = default_dispatch,
        poll: float = 1.0,
        sweep_every: float = 1.0,
        listen: bool = False,
        batch: int = BATCH,
        pace: float = PACE,
        gather: float | None = None,
    ) -> None:
        settings = services.settings
        self._services = services
        self._dispatch = dispatch
        self._count = threads or settings.worker_threads
        self._poll = poll
        self._listen = listen
        self._sweep_every = sweep_every
        self._batch = max(1, batch)
        self._pace = pace
        self._gather = GATHER if gather is None else gather
        self.pool = DeliveryPool(services, size=delivery_threads or settings.delivery_threads)
        self.lease = LEASE  # of the events handed over by the webhook (``inbox.HandOff``)
        self._work: queue.Queue[list[inbox.Claimed] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._woken = False
        self._idle = self._count  # processing threads without work, less the batches queued
        self._queued = 0  # events queued for the processing threads
        self._look = True  # events may wait in the inbox: the claimer looks
        self._looks = 0  # how often told to look (so a look does not clear a newer tell)
        self._blocked: set[str] = set()  # order keys with an event waiting behind one
        # Events handed over and not yet given to a thread (``accept``), under its own lock.
        self._gathered = threading.Condition()
        self._open: list[inbox.Claimed] = []
        self._given = 0.0  # when the last gathered batch went to the threads
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._naming: set[str] = set()  # people whose display name is being looked up

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def start(self) -> Worker:
        if self._threads:
            return self
        self._stop.clear()
        tune_runtime()  # for every entry point that runs a worker
        for n in range(self._count):
            self._spawn(self._process_loop, f"kaona-worker-{n}")
        self._spawn(self._claim_loop, "kaona-claimer")
        self._spawn(self._gather_loop, "kaona-gatherer")
        if self._listen and wakeup.supported(self._services.engine):
            self._spawn(self._listen_loop, "kaona-listener")
        self._services.inbox_writer.hand_off = self
        return self

    def notify(self) -> None:
        """Events may wait in the inbox: stop waiting and look."""
        with self._cond:
            self._tell()

    def _tell(self) -> None:
        self._look, self._woken = True, True
        self._looks += 1
        self._cond.notify_all()

    def room(self) -> int:
        """How many events the webhook may hand over now (``inbox.HandOff``): enough to
        keep every processing thread busy with full batches, no more (the rest wait in
        the inbox, where another process's worker may take them)."""
        if self._stop.is_set() or not self._threads:
            return 0
        with self._cond:
            return max(0, self._count * self._batch - self._queued)

    def accept(self, claims: inbox.Claims) -> None:
        """Events the webhook claimed for this worker as it stored them, committed. They
        go to the threads with those handed over since, as one batch: at once when the
        last went ``gather`` seconds ago or more (the first event after a quiet spell
        waits for nothing), or when a batch is full; else when ``gather`` has passed
        (``_gather_loop``). Each webhook's few events would otherwise be a unit of work
        of their own."""
        with self._cond:
            self._blocked |= claims.busy
            # Busy ones too: the event they wait behind may have finished between this
            # store's look and its commit, before its worker knew to wake the claimer.
            if claims.left_over or claims.busy:
                self._tell()
            if not claims.claimed:
                return
        with self._gathered:
            if not self._stop.is_set():
                with self._cond:
                    self._queued += len(claims.claimed)
                first = not self._open
                self._open += claims.claimed
                if len(self._open) >= self._batch or time.monotonic() - self._given >= self._gather:
                    self._give()
                elif first:
                    self._gathered.notify()
                return
        self._put_back(claims.claimed)

    def _give(self) -> None:
        """The gathered events to the threads, in batches of up to ``batch`` (with
        ``_gathered`` held). Each is the oldest of a different chat (the webhook
        claims no other)."""
        gathered, self._open = self._open, []
        self._given = time.monotonic()
        batches = [gathered[n : n + self._batch] for n in range(0, len(gathered), self._batch)]
        with self._cond:
            self._idle -= len(batches)
        for batch in batches:
            self._work.put(batch)

    def _gather_loop(self) -> None:
        with self._gathered:
            while not self._stop.is_set():
                if not self._open:
                    self._gathered.wait(1.0)
                    continue
                wait = self._given + self._gather - time.monotonic()
                if wait > 0:
                    self._gathered.wait(wait)
                    continue
                self._give()

    def _put_back(self, claimed: list[inbox.Claimed]) -> None:
        """Events handed over as the worker stops: pending again, the claim uncounted
        (else they would wait for their lease to run out)."""
        try:
            with self._services.sessions() as session, session.begin():
                for event in claimed:
                    inbox.defer(session, event.id, "the worker stopped before running it", delay=0.0)
        except Exception:  # noqa: BLE001 - their lease runs out, and a worker claims them then
            log.warning("worker: events %s handed over while stopping", [c.id for c in claimed], exc_info=True)

    def stop(self, timeout: float = 10.0) -> None:
        if self._services.inbox_writer.hand_off is self:
            self._services.inbox_writer.hand_off = None
        self._stop.set()
        self.notify()
        with self._gathered:  # handed over, not yet given: the threads run them before they stop
            if self._open:
                self._give()
            self._gathered.notify()
        for _ in range(self._count):
            self._work.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.pool.stop(timeout)

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.is_set():
                self._stop.wait(1.0)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def _spawn(self, target: object, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _claim_loop(self) -> None:
        last_sweep = last_claim = last_look = 0.0
        while not self._stop.is_set():
            # While events keep coming, claim at most every ``pace`` seconds: what arrived
            # meanwhile goes in one batch (a unit of work per batch, not per event, is what
            # lets the worker keep up with a burst). The first event after a quiet spell
            # is claimed at once.
            gap = last_claim + self._pace - time.monotonic()
            if gap > 0:
                self._stop.wait(gap)
            try:
                if time.monotonic() - last_sweep >= self._sweep_every:
                    last_sweep = time.monotonic()
                    put_back_held(self._services)
                    sweep(self._services, send=self.pool.send)
                with self._cond:
                    free = self._idle
                    due = self._look or time.monotonic() - last_look >= self._poll
                    looks = self._looks
                claimed = []
                if free > 0 and due:
                    last_look = time.monotonic()
                    claimed = claim(self._services, limit=free * self._batch)
                    with self._cond:
                        if len(claimed) < free * self._batch and self._looks == looks:
                            self._look = False  # nothing else may run now
                        if not claimed and self._idle == self._count:
                            self._blocked.clear()  # nothing runs here that they could wait for
                        # An event from the inbox may have more of its chat behind it: when
                        # it is done, look again.
                        self._blocked.update(event.order_key for event in claimed)
                last_claim = time.monotonic() if claimed else 0.0
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not kill the thread
                if is_outage(exc):
                    self._services.outage.deferred(str(exc).splitlines()[0])  # logged once per outage
                else:
                    log.exception("worker: claiming failed; backing off")
                self._stop.wait(1.0)
                continue
            # Full batches (fewest commits), the oldest events in the first.
            batches = [claimed[n : n + self._batch] for n in range(0, len(claimed), self._batch)]
            with self._cond:
                self._idle -= len(batches)
                self._queued += len(claimed)
            for batch in batches:
                self._work.put(batch)
            with self._cond:
                if not claimed or self._idle <= 0:
                    if not self._woken:
                        self._cond.wait(min(self._poll, self._sweep_every))
                    self._woken = False

    def _process_loop(self) -> None:
        carried: list[inbox.Claimed] | None = None
        while True:
            if carried is not None:
                first = carried
            else:
                got = self._work.get()
                if got is None:
                    return
                first = got
                with self._cond:
                    self._queued -= len(first)
            batch, taken, carried = self._more(first)
            try:
                results = process_batch(self._services, batch, self._dispatch, take=True,
                                        yield_early=self._yield_early)  # fmt: skip
                outgoing = [out for result in results for out in result.outgoing]
                for row in outbox.nearest_deadline_first([out.taken for out in outgoing if out.taken]):
                    self.pool.send_taken(row)
                for out in outgoing:
                    if out.taken is None:  # a push past an answer's fifth message
                        self.pool.send(out.row_id, out.deadline)
                for result in results:
                    if result.refresh_name is not None:
                        self._refresh_later(result.refresh_name)
            except Exception:  # noqa: BLE001 - a database hiccup: the lease runs out, the events are retried
                log.exception("worker: events %s not processed", [claimed.id for claimed in batch])
            finally:
                with self._cond:
                    self._idle += taken
                    keys = {claimed.order_key for claimed in batch}
                    unblocked = not self._blocked.isdisjoint(keys)
                    self._blocked -= keys
                    if unblocked:  # an event waits behind these: it may run now
                        self._tell()
                    elif self._look:  # events wait in the inbox for a free thread: claim them
                        self._woken = True
                        self._cond.notify_all()

    def _yield_early(self) -> bool:
        """Whether a unit of work should commit now, before its batch's next event: on
        SQLite, when a webhook waits for the write lock (LINE waits on it) and the worker
        is not behind (nothing queued, nothing left in the inbox). When it is behind,
        units run full length: committing after every event for every webhook starved
        processing (bench.throughput (b): acknowledgements 430-460/s, answers 216-229/s,
        the last 10 s after the load)."""
        return self._queued == 0 and not self._look and sqlite.urgent_waiting(self._services.engine)

    def _more(self, first: list[inbox.Claimed]) -> tuple[list[inbox.Claimed], int, list[inbox.Claimed] | None]:
        """``first`` and the batches queued behind it, up to ``batch`` events of different
        chats: the events, how many batches they were, and the batch taken that did not
        fit (this thread runs it next)."""
        batch, taken, keys = list(first), 1, {claimed.order_key for claimed in first}
        carried = None
        while len(batch) < self._batch:
            try:
                more = self._work.get_nowait()
            except queue.Empty:
                break
            if more is None:  # stopping: leave the signal for a thread to end on
                self._work.put(None)
                break
            with self._cond:
                self._queued -= len(more)
            if len(batch) + len(more) > self._batch or not keys.isdisjoint(c.order_key for c in more):
                carried = more
                break
            batch += more
            keys.update(claimed.order_key for claimed in more)
            taken += 1
        return batch, taken, carried

    def _refresh_later(self, event: IncomingEvent) -> None:
        user_id = event.user_id or ""
        with self._cond:
            if user_id in self._naming:
                return
            self._naming.add(user_id)

        def refresh() -> None:
            try:
                refresh_display_name(self._services, event)
            finally:
                with self._cond:
                    self._naming.discard(user_id)

        self.pool.chore(refresh)

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                for _ in wakeup.notifications(self._services.engine, stop=self._stop):
                    self.notify()
            except Exception:  # noqa: BLE001 - no notifications: polling still finds the events
                log.warning("worker: event notifications unavailable; polling", exc_info=True)
                self._stop.wait(5.0)

"""SQLite as the embedded database: pragmas, and writers taking turns.

One writer at a time, decided at BEGIN IMMEDIATE: no lost updates and no deadlocking
upgrades from a read lock to a write lock between threads or processes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)
READ_ONLY = "kaona_read_only"
URGENT = "kaona_urgent"
BUSY_SECONDS = 30
# How long a writer other than the webhook waits for the webhooks of other processes
# to go first before it asks for the lock beside them.
GATE_SECONDS = 0.01
# A checkpoint thread with no write to follow for this long ends.
IDLE_SECONDS = 30.0


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is off) so that
    # every transaction can start with BEGIN IMMEDIATE, below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # No checkpoint inside a commit (it copies the WAL into the database file and syncs
    # it: tens of milliseconds, sometimes hundreds, with the write lock held and a
    # webhook waiting): the writers hand it to a thread (``_Checkpoints``).
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class _Turn:
    """The process's writer turn: a lock whose urgent takers (the webhook storing events,
    which LINE waits on) go before the others (the worker's units of work, claims and
    delivery records), but never twice in a row while another waits: a webhook waits
    for at most the one transaction under way, and a stream of webhooks cannot starve
    the worker (whose replies would then never go out). Both wait at most ``timeout``.

    The turn is handed on: the holder that releases it wakes the one taker that goes
    next (first come, first served within each kind), never every waiter to race for it
    (with a dozen webhook, worker and delivery threads waiting, waking them all at every
    commit cost more CPU than the commits)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = False
        self._queues: dict[bool, deque[threading.Lock]] = {True: deque(), False: deque()}
        self._last_urgent = False

    def acquire(self, *, urgent: bool, timeout: float) -> bool:
        with self._lock:
            if not self._held:  # free: nobody waits (a release hands the turn to a waiter)
                self._held, self._last_urgent = True, urgent
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._queues[urgent].append(waiter)
        if waiter.acquire(timeout=timeout):
            return True  # handed on to this taker
        with self._lock:
            try:
                self._queues[urgent].remove(waiter)
            except ValueError:
                return True  # handed on just as the wait ran out: the turn is this taker's
            return False

    def release(self) -> None:
        with self._lock:
            urgent, others = self._queues[True], self._queues[False]
            if urgent and others:
                kind = not self._last_urgent  # both kinds wait: the kind that did not go last
            elif urgent or others:
                kind = bool(urgent)
            else:
                self._held = False
                return
            self._last_urgent = kind
            self._queues[kind].popleft().release()  # the turn stays held, by the next taker

    def urgent_waiting(self) -> bool:
        return bool(self._queues[True])


class _Checkpoints:
    """Copies the write-ahead log into the database file on a thread of its own, at
    most about once a second while writes go on, instead of inside whichever commit
    passed 1,000 pages of log (SQLite's default). A passive checkpoint takes no write
    lock: writers and readers go on meanwhile. The thread starts with the first write
    and ends after ``IDLE_SECONDS`` without one."""

    def __init__(self, engine: Engine, every: float = 1.0) -> None:
        self._engine = engine
        self._every = every
        self._due = threading.Event()
        self._start = threading.Lock()
        self._pid = 0

    def poke(self) -> None:
        if self._pid != os.getpid():  # first write of this process (or of a forked child)
            with self._start:
                if self._pid != os.getpid():
                    self._due = threading.Event()
                    threading.Thread(target=self._run, name="kaona-sqlite-checkpoint", daemon=True).start()
                    self._pid = os.getpid()
        self._due.set()

    def _run(self) -> None:
        due = self._due
        while True:
            if not due.wait(timeout=IDLE_SECONDS):
                with self._start:  # no write for a while: end (the next write starts another)
                    if not due.is_set():
                        self._pid = 0
                        return
            due.clear()
            try:
                connection = self._engine.raw_connection()  # outside any transaction: no turn taken
                try:
                    connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
                finally:
                    connection.close()
            except Exception:  # noqa: BLE001 - the next write asks again
                log.warning("SQLite checkpoint failed", exc_info=True)
            time.sleep(self._every)


class WriterTurns:
    """SQLite: one writer at a time, decided at BEGIN IMMEDIATE (no lost updates, no
    deadlocking upgrades from a read lock to a write lock between threads or processes).

    Writers take turns before BEGIN IMMEDIATE, the threads of a process on a turn
    (``_Turn``) and the processes on an ``flock`` of ``lock_file``, and hand on at COMMIT or
    ROLLBACK: a waiting writer wakes the moment the one before is done, where SQLite's
    own busy handler sleeps in steps of up to 100 ms (which, with a dozen threads in
    two processes, makes every write wait). An urgent writer (sessions with ``URGENT``:
    the webhook's) takes the process's turn before the others waiting (but not twice
    in a row), so a webhook waits for about the one transaction under way, not for every
    unit of work queued before it (bench.throughput (b), SQLite: the webhook waited
    50-70 ms on the turn before). A read-only step (``read_only_sessions``)
    begins deferred: in WAL mode it reads a snapshot and never waits for the writer.
    """

    def __init__(self, engine: Engine, *, lock_file: Path | None) -> None:
        self._turn = _Turn()
        self._holder: int | None = None  # id() of the DBAPI connection that has the turn
        self._lock_file = lock_file
        self._fd: int | None = None
        self._gate = -1
        self._gated = False
        self._pid = 0
        dialect = engine.dialect
        self._commit, self._rollback = dialect.do_commit, dialect.do_rollback
        dialect.do_commit = self._do_commit  # type: ignore[method-assign]
        dialect.do_rollback = self._do_rollback  # type: ignore[method-assign]
        event.listen(engine, "begin", self._begin)
        self._checkpoints = _Checkpoints(engine)
        _TURNS[engine] = self

    def urgent_waiting(self) -> bool:
        """Whether a webhook waits for the write lock, in this process or another (for
        the holder, a unit of work, to commit what it has done instead of going on)."""
        if self._turn.urgent_waiting():
            return True
        if self._fd is None or self._pid != os.getpid():
            return False
        try:  # an urgent writer of any process holds the gate shared while it waits or writes
            fcntl.flock(self._gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._gate, fcntl.LOCK_UN)
        return False

    def _begin(self, conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        # A thread that already writes on another connection must not wait forever:
        # after the busy timeout it goes on to BEGIN IMMEDIATE, which reports "locked".
        urgent = bool(conn.get_execution_options().get(URGENT))
        if not self._turn.acquire(urgent=urgent, timeout=BUSY_SECONDS):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        try:
            self._lock_processes(urgent=urgent)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._unlock_processes()
            self._turn.release()
            raise
        self._holder = _raw_id(conn.connection)

    def _do_commit(self, dbapi_connection: Any) -> None:
        try:
            self._commit(dbapi_connection)
        finally:
            self._hand_on(dbapi_connection)
        self._checkpoints.poke()

    def _do_rollback(self, dbapi_connection: Any) -> None:
        try:
            self._rollback(dbapi_connection)
        finally:
            self._hand_on(dbapi_connection)

    def _hand_on(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder == _raw_id(dbapi_connection):
            self._holder = None
            self._unlock_processes()
            self._turn.release()

    def _lock_processes(self, *, urgent: bool) -> None:
        """Take the processes' write lock (``lock_file``). An urgent writer first holds
        the gate (``lock_file`` + ".urgent") shared, until it is done; any other writer
        passes the gate exclusively (so after every urgent writer waiting or writing in
        any process, for at most ``GATE_SECONDS``) before it asks for the lock: a webhook
        waits for about the one transaction under way, not for a worker that takes turn
        after turn."""
        if self._lock_file is None:
            return
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            gate = self._lock_file.with_name(self._lock_file.name + ".urgent")
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._gate = os.open(gate, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        # One thread at a time gets here per process (it has the process's turn), so
        # one descriptor of the gate serves both ways.
        if urgent:
            fcntl.flock(self._gate, fcntl.LOCK_SH)
            self._gated = True
        else:
            self._pass_gate()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def _pass_gate(self) -> None:
        """Wait while an urgent writer of any process waits or writes, but no longer
        than ``GATE_SECONDS``: then ask for the lock beside it (a stream of webhooks
        must not starve the worker)."""
        give_up = time.monotonic() + GATE_SECONDS
        while True:
            try:
                fcntl.flock(self._gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    return
                time.sleep(0.0005)
                continue
            fcntl.flock(self._gate, fcntl.LOCK_UN)
            return

    def _unlock_processes(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            if self._gated:
                self._gated = False
                fcntl.flock(self._gate, fcntl.LOCK_UN)


_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()


def urgent_waiting(engine: Engine) -> bool:
    """SQLite: a webhook waits for the write lock (``WriterTurns.urgent_waiting``)."""
    turns = _TURNS.get(engine)
    return turns is not None and turns.urgent_waiting()


def _raw_id(connection: Any) -> int:
    """The identity of the DBAPI connection behind a pool's proxy (or of itself)."""
    return id(getattr(connection, "dbapi_connection", None) or connection)

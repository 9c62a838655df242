"""SQLite as the embedded database: pragmas, and writers taking turns.

One writer at a time, decided at BEGIN IMMEDIATE: no lost updates and no deadlocking
upgrades from a read lock to a write lock between threads or processes.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

READ_ONLY = "kaona_read_only"
BUSY_SECONDS = 30


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is off) so that
    # every transaction can start with BEGIN IMMEDIATE, below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class WriterTurns:
    """SQLite: one writer at a time, decided at BEGIN IMMEDIATE (no lost updates, no
    deadlocking upgrades from a read lock to a write lock between threads or processes).

    Writers take turns before BEGIN IMMEDIATE, the threads of a process on a mutex and
    the processes on an ``flock`` of ``lock_file``, and hand the turn on at COMMIT or
    ROLLBACK: a waiting writer wakes the moment the one before is done, where SQLite's
    own busy handler sleeps in steps of up to 100 ms (which, with a dozen threads in
    two processes, makes every write wait). A read-only step (``read_only_sessions``)
    begins deferred: in WAL mode it reads a snapshot and never waits for the writer.
    """

    def __init__(self, engine: Engine, *, lock_file: Path | None) -> None:
        self._mutex = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection that has the turn
        self._lock_file = lock_file
        self._fd: int | None = None
        self._pid = 0
        dialect = engine.dialect
        self._commit, self._rollback = dialect.do_commit, dialect.do_rollback
        dialect.do_commit = self._do_commit  # type: ignore[method-assign]
        dialect.do_rollback = self._do_rollback  # type: ignore[method-assign]
        event.listen(engine, "begin", self._begin)

    def _begin(self, conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        # A thread that already writes on another connection must not wait forever:
        # after the busy timeout it goes on to BEGIN IMMEDIATE, which reports "locked".
        if not self._mutex.acquire(timeout=BUSY_SECONDS):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        try:
            self._lock_processes()
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._unlock_processes()
            self._mutex.release()
            raise
        self._holder = _raw_id(conn.connection)

    def _do_commit(self, dbapi_connection: Any) -> None:
        try:
            self._commit(dbapi_connection)
        finally:
            self._hand_on(dbapi_connection)

    def _do_rollback(self, dbapi_connection: Any) -> None:
        try:
            self._rollback(dbapi_connection)
        finally:
            self._hand_on(dbapi_connection)

    def _hand_on(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder == _raw_id(dbapi_connection):
            self._holder = None
            self._unlock_processes()
            self._mutex.release()

    def _lock_processes(self) -> None:
        if self._lock_file is None:
            return
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd, self._pid = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def _unlock_processes(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _raw_id(connection: Any) -> int:
    """The identity of the DBAPI connection behind a pool's proxy (or of itself)."""
    return id(getattr(connection, "dbapi_connection", None) or connection)

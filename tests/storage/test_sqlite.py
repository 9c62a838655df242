"""Writers take turns; a read-only step does not wait for the writer (SQLite's write lock)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from storage.db import make_engine, make_session_factory, read_only_sessions


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_read_only_step_reads_while_a_writer_holds_the_lock(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers")
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with make_session_factory(engine)() as session, session.begin():
            session.execute(text("UPDATE inbox_events SET status = status"))
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(10)
    read: list[int] = []
    reader = threading.Thread(target=lambda: read.append(_count(read_only_sessions(engine))))
    reader.start()
    reader.join(5)
    finished_while_writing = not reader.is_alive()
    done.set()
    thread.join(10)
    reader.join(10)
    assert finished_while_writing and read == [0]


def _count(sessions) -> int:
    with sessions() as session, session.begin():
        return int(session.execute(text("SELECT count(*) FROM inbox_events")).scalar_one())


def test_writers_in_many_threads_take_turns_and_lose_nothing(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a read-modify-write without a row lock is safe only under SQLite's one writer")
    sessions = make_session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO state_entries (key, value) VALUES ('n', '0')"))

    def bump() -> None:
        for _ in range(20):
            with sessions() as session, session.begin():
                value = int(session.execute(text("SELECT value FROM state_entries WHERE key = 'n'")).scalar_one())
                session.execute(text("UPDATE state_entries SET value = :v WHERE key = 'n'"), {"v": str(value + 1)})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM state_entries WHERE key = 'n'")).scalar_one() == "160"


def _hold_then_queue(engine, first_urgent: bool, waiters: list[tuple[str, bool]]) -> list[str]:
    """One writer holds the turn while ``waiters`` (name, urgent) line up in that order;
    returns the order in which the waiters then wrote."""
    from storage.db import urgent_sessions

    kinds = {True: urgent_sessions(engine), False: make_session_factory(engine)}
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with kinds[first_urgent]() as session, session.begin():
            session.execute(text("UPDATE inbox_events SET status = status"))
            holding.set()
            release.wait(10)

    def write(name: str, urgent: bool) -> None:
        with kinds[urgent]() as session, session.begin():
            session.execute(text("UPDATE inbox_events SET status = status"))
            order.append(name)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    threads = []
    for name, urgent in waiters:
        thread = threading.Thread(target=write, args=(name, urgent))
        thread.start()
        threads.append(thread)
        threading.Event().wait(0.1)  # in line in this order
    release.set()
    for thread in [holder, *threads]:
        thread.join(10)
    return order


def test_the_webhook_writes_before_the_worker_that_waited_longer(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers do not take turns")
    order = _hold_then_queue(engine, False, [("worker", False), ("webhook", True)])
    assert order == ["webhook", "worker"]


def test_the_webhook_never_goes_twice_in_a_row_while_the_worker_waits(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers do not take turns")
    # The webhook holds the turn; a worker and another webhook wait: the worker goes first.
    order = _hold_then_queue(engine, True, [("worker", False), ("webhook", True)])
    assert order == ["worker", "webhook"]


def test_commits_run_no_checkpoint_a_thread_does(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no write-ahead log of SQLite's kind")
    import time
    from pathlib import Path

    path = Path(str(engine.url.database))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    sessions = make_session_factory(engine)
    before = path.stat().st_size
    for n in range(100):
        with sessions() as session, session.begin():
            session.execute(text("INSERT INTO state_entries (key, value) VALUES (:k, :v)"),
                            {"k": f"k{n}", "v": "x" * 4000})  # fmt: skip
    deadline = time.monotonic() + 10
    while path.stat().st_size < before + 100 * 4000 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.stat().st_size >= before + 100 * 4000  # the log was copied into the file
    assert "kaona-sqlite-checkpoint" in {t.name for t in threading.enumerate()}


def test_a_turn_not_handed_on_in_time_is_not_taken_and_the_next_release_frees_it() -> None:
    from storage.sqlite import _Turn

    turn = _Turn()
    assert turn.acquire(urgent=False, timeout=1.0)
    assert not turn.acquire(urgent=True, timeout=0.05)  # held: the wait runs out, nothing taken
    turn.release()  # nobody waits any more: the turn is free, not handed to the one that gave up
    assert turn.acquire(urgent=True, timeout=0.05)
    turn.release()


def test_a_release_hands_the_turn_to_one_waiter_at_a_time() -> None:
    from storage.sqlite import _Turn

    turn = _Turn()
    assert turn.acquire(urgent=False, timeout=1.0)
    inside, most = [0], [0]
    lock = threading.Lock()

    def taker() -> None:
        assert turn.acquire(urgent=True, timeout=5.0)
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)
        with lock:
            inside[0] -= 1
        turn.release()

    threads = [threading.Thread(target=taker) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    turn.release()
    for thread in threads:
        thread.join(5.0)
    assert most[0] == 1 and inside[0] == 0
    assert turn.acquire(urgent=False, timeout=0.05)  # all done: free again

"""Writers take turns; a read-only step does not wait for the writer (SQLite's write lock)."""

from __future__ import annotations

import threading

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

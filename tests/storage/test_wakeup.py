"""Workers in other processes are told of new events (PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import threading

import pytest

from storage import wakeup
from storage.db import make_engine, make_session_factory


def test_a_commit_that_stored_events_wakes_a_listener(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        if not wakeup.supported(engine):
            pytest.skip("SQLite has no notifications; its workers are woken in process or poll")
        stop, heard, listening = threading.Event(), threading.Event(), threading.Event()

        def listen() -> None:
            for _ in wakeup.notifications(engine, stop=stop, every=0.1):
                heard.set()
                stop.set()

        thread = threading.Thread(target=listen)
        thread.start()
        with make_session_factory(engine)() as session, session.begin():
            wakeup.announce(session)
            session.rollback()  # not committed: nobody is told
        listening.wait(0.5)
        assert not heard.is_set()
        with make_session_factory(engine)() as session, session.begin():
            wakeup.announce(session)
        assert heard.wait(5)
        stop.set()
        thread.join(5)
    finally:
        engine.dispose()

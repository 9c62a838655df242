"""The state store: Redis in the service run, the SQL database otherwise."""

from __future__ import annotations

import time

import pytest

from bot.services import build_services
from bot.settings import Settings
from storage.state import DurableStateStore, SqlStateStore


@pytest.fixture
def store(settings: Settings):
    services = build_services(settings)
    yield services.state
    services.close()


def test_the_backend_follows_the_settings(store, settings: Settings) -> None:
    expected = DurableStateStore if settings.redis_url else SqlStateStore
    assert isinstance(store, expected)
    assert store.ping()


def test_set_get_delete(store) -> None:
    assert store.get("draft:C1:U1") is None
    store.set("draft:C1:U1", '{"step": "ผลการดำเนินงาน"}')
    assert store.get("draft:C1:U1") == '{"step": "ผลการดำเนินงาน"}'
    store.set("draft:C1:U1", "v2")
    assert store.get("draft:C1:U1") == "v2"
    store.delete("draft:C1:U1")
    assert store.get("draft:C1:U1") is None


def test_values_expire(store) -> None:
    store.set("short", "x", ttl=1)
    assert store.get("short") == "x"
    time.sleep(1.2)
    assert store.get("short") is None


def test_add_once_is_true_only_the_first_time_while_the_key_lives(store) -> None:
    assert store.add_once("idem:evt1", ttl=1)
    assert not store.add_once("idem:evt1", ttl=1)
    time.sleep(1.2)
    assert store.add_once("idem:evt1", ttl=1)


def test_incr_counts_within_its_window(store) -> None:
    assert [store.incr("tries:C1", ttl=1) for _ in range(3)] == [1, 2, 3]
    assert store.incr("tries:C2", ttl=1) == 1
    time.sleep(1.2)
    assert store.incr("tries:C1", ttl=1) == 1


def test_a_draft_commits_with_its_transaction_and_survives_redis_starting_empty(settings: Settings) -> None:
    """Issue 14: Redis keeps nothing on disk, so drafts held only there were lost when it
    restarted, and each person's next answer was taken for chatter."""
    if not settings.redis_url:
        pytest.skip("the embedded run has no Redis: drafts are in SQL there anyway")
    services = build_services(settings)
    try:
        with services.sessions() as session, session.begin():
            store = services.state.for_session(session)
            store.set("report:C1:U1", '{"step": 2}', ttl=600)
            store.set("codetries:C1", "1", ttl=60)
            assert store.get("report:C1:U1") == '{"step": 2}'
            session.rollback()  # a use case that failed: its draft is not written
        assert services.state.get("report:C1:U1") is None
        with services.sessions() as session, session.begin():
            services.state.for_session(session).set("report:C1:U1", '{"step": 2}', ttl=600)
        assert services.redis is not None
        services.redis.flushdb()  # Redis restarted empty
        assert services.state.get("report:C1:U1") == '{"step": 2}'
        assert services.state.incr("codetries:C9", ttl=60) == 1  # guards are Redis's
        assert services.redis.get("kaona:codetries:C9") == b"1"
        assert services.state.get("codetries:C9") == "1"
    finally:
        services.close()


def test_prefetched_drafts_are_read_in_one_query_and_follow_the_events_own_writes(settings: Settings) -> None:
    """Issue 9: a one-to-one message looks for two conversations (a report, a reminder
    schedule); bound to the event's transaction, both drafts come from one SELECT."""
    from sqlalchemy import event

    services = build_services(settings)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "state_entries" in statement:
            statements.append(statement.split(None, 1)[0].upper())

    try:
        services.state.set("report:U1:U1", "r1", ttl=600)
        services.state.set("schedule:U1:U1", "gone", ttl=1)
        time.sleep(1.2)  # expired, not yet purged: absent to a reader
        event.listen(services.engine, "before_cursor_execute", count)
        with services.sessions() as session, session.begin():
            store = services.state.for_session(session)
            store.prefetch(["report:U1:U1", "schedule:U1:U1", "report:U2:U2"])
            assert store.get("report:U1:U1") == "r1"
            assert store.get("schedule:U1:U1") is None
            assert store.get("report:U2:U2") is None
            assert statements == ["SELECT"]
            store.set("report:U1:U1", "r2", ttl=600)
            store.delete("report:U2:U2")
            assert store.get("report:U1:U1") == "r2"  # its own write, read back in its transaction
            assert store.get("report:U2:U2") is None
        assert services.state.get("report:U1:U1") == "r2"
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
        services.state.delete("report:U1:U1")
        services.state.delete("schedule:U1:U1")
        services.close()


def test_what_one_store_read_in_a_transaction_answers_every_store_bound_to_it(settings: Settings) -> None:
    """Issue 9: a unit of work reads the drafts of all its events at once; each event's
    own store (bound to the same transaction) answers from that read, and follows the
    writes made through any of them. The next transaction reads again."""
    from sqlalchemy import event

    services = build_services(settings)
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "state_entries" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    try:
        services.state.set("report:C1:U1", "r1", ttl=600)
        event.listen(services.engine, "before_cursor_execute", count)
        with services.sessions() as session:
            with session.begin():
                services.state.for_session(session).prefetch(["report:C1:U1", "report:C2:U2"])
                first, second = services.state.for_session(session), services.state.for_session(session)
                assert (first.get("report:C1:U1"), second.get("report:C2:U2")) == ("r1", None)
                assert len(reads) == 1
                first.set("report:C1:U1", "r2", ttl=600)
                assert second.get("report:C1:U1") == "r2"  # read again in the transaction: its write
            services.state.set("report:C2:U2", "elsewhere", ttl=600)  # another transaction, committed
            with session.begin():
                assert services.state.for_session(session).get("report:C2:U2") == "elsewhere"
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
        services.state.delete("report:C1:U1")
        services.state.delete("report:C2:U2")
        services.close()

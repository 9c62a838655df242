"""The inbox on the real database: dedupe, claim order, leases, lost claims."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.localline import group_source, text_event, user_source
from storage import inbox
from storage.db import make_engine, make_session_factory, utcnow

LEASE = timedelta(seconds=30)


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def store(sessions: sessionmaker[Session], *events: dict) -> inbox.StoredCount:
    with sessions() as session, session.begin():
        return inbox.store_events(session, events)


def claim(sessions: sessionmaker[Session], **kwargs):
    with sessions() as session, session.begin():
        event = inbox.claim_next(session, lease=LEASE, **kwargs)
        return None if event is None else (event.id, event.attempts, event.webhook_event_id)


def done(sessions: sessionmaker[Session], event_id: int, attempt: int) -> None:
    with sessions() as session, session.begin():
        inbox.mark_done(session, event_id, attempt=attempt)


def test_store_skips_events_already_stored(sessions) -> None:
    a, b = text_event(user_source("U1"), "a"), text_event(user_source("U1"), "b")
    assert store(sessions, a, b) == inbox.StoredCount(new=2, duplicates=0)
    assert store(sessions, b, a) == inbox.StoredCount(new=0, duplicates=2)


def test_requests_stored_together_in_one_statement_count_each_their_own(sessions) -> None:
    """The webhook stores the requests that arrive together in one INSERT; each request
    learns what it stored anew. A redelivery arriving beside the original is stored once."""
    old, a, b, c = (text_event(user_source(f"U{n}"), str(n)) for n in range(4))
    store(sessions, old)
    with sessions() as session, session.begin():
        counts = inbox.store_requests(session, [[a, old], [b], [a, c], []])
    assert counts == [
        inbox.StoredCount(new=1, duplicates=1),
        inbox.StoredCount(new=1, duplicates=0),
        inbox.StoredCount(new=1, duplicates=1),  # a: stored by the first request
        inbox.StoredCount(new=0, duplicates=0),
    ]
    with sessions() as session:
        assert inbox.counts_by_status(session) == {"pending": 4}


def test_one_person_in_one_chat_is_handled_in_order_others_in_parallel(sessions) -> None:
    first = text_event(group_source("C1", "U1"), "1")
    second = text_event(group_source("C1", "U1"), "2")
    other = text_event(group_source("C1", "U2"), "x")
    store(sessions, first, second, other)
    one = claim(sessions)
    two = claim(sessions)
    assert one[2] == first["webhookEventId"]
    assert two[2] == other["webhookEventId"]  # U1's second waits for the first
    assert claim(sessions) is None
    done(sessions, one[0], one[1])
    three = claim(sessions)
    assert three[2] == second["webhookEventId"]


def test_an_expired_lease_is_reclaimed_and_the_late_worker_loses(sessions) -> None:
    store(sessions, text_event(user_source("U1"), "a"))
    first = claim(sessions)
    assert claim(sessions) is None  # still leased to the first worker
    second = claim(sessions, now=utcnow() + LEASE + timedelta(seconds=1))
    assert second[0] == first[0] and second[1] == 2
    with pytest.raises(inbox.LostLease):
        done(sessions, first[0], first[1])
    done(sessions, second[0], second[1])
    with sessions() as session:
        assert inbox.counts_by_status(session) == {"done": 1}


def test_failures_back_off_then_park(sessions) -> None:
    store(sessions, text_event(user_source("U1"), "a"))
    for attempt in (1, 2):
        event_id, attempts, _ = claim(sessions, now=utcnow() + timedelta(minutes=attempt * 5))
        assert attempts == attempt
        with sessions() as session, session.begin():
            assert inbox.mark_failed(session, event_id, "boom", max_attempts=2) == (
                "pending" if attempt == 1 else "parked"
            )
        assert claim(sessions) is None  # backing off, then parked
    assert claim(sessions, now=utcnow() + timedelta(hours=1)) is None


def test_concurrent_workers_never_claim_one_event_twice_and_keep_order(sessions) -> None:
    events = [text_event(group_source("C1", f"U{n % 5}"), str(n)) for n in range(60)]
    store(sessions, *events)
    handled: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            claimed = claim(sessions)
            if claimed is None:
                with sessions() as session:
                    if not inbox.counts_by_status(session).get("pending"):
                        return
                continue
            with lock:
                handled.append((claimed[2], "x"))
            done(sessions, claimed[0], claimed[1])

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = [event_id for event_id, _ in handled]
    assert sorted(ids) == sorted(e["webhookEventId"] for e in events)
    assert len(ids) == len(set(ids))
    order = {e["webhookEventId"]: n for n, e in enumerate(events)}
    for user in range(5):
        mine = [order[i] for i in ids if order[i] % 5 == user]
        assert mine == sorted(mine)


def statuses(sessions: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    with sessions() as session:
        rows = session.query(inbox.InboxEvent.webhook_event_id, inbox.InboxEvent.status, inbox.InboxEvent.attempts)
        return sorted((str(a), str(b), int(c)) for a, b, c in rows)


def test_events_claimed_as_stored_are_the_oldest_of_each_free_chat(sessions) -> None:
    """The webhook claims for its own worker what may run now: the oldest new event of
    each person in each chat with nothing still pending or processing; the others wait
    pending, and the claim tells why (busy) or that room ran out (left over)."""
    busy_before = text_event(user_source("U1"), "waiting already")
    store(sessions, busy_before)
    behind = text_event(user_source("U1"), "behind it")
    newer, older = (text_event(group_source("C1", "U2"), t) for t in ("newer", "older"))
    older["timestamp"] = newer["timestamp"] - 1_000  # the second request's is the older
    free = text_event(user_source("U3"), "free")
    with sessions() as session, session.begin():
        counts, claims = inbox.store_and_claim(session, [[behind, newer], [older, free, busy_before]], limit=5, lease=LEASE)
    assert counts == [inbox.StoredCount(new=2, duplicates=0, handed=0),
                      inbox.StoredCount(new=2, duplicates=1, handed=2)]  # fmt: skip
    assert [c.webhook_event_id for c in claims.claimed] == [older["webhookEventId"], free["webhookEventId"]]
    assert all(c.attempts == 1 for c in claims.claimed)
    assert claims.busy == {"U1:U1", "C1:U2"} and not claims.left_over
    assert statuses(sessions) == sorted([
        (busy_before["webhookEventId"], "pending", 0), (behind["webhookEventId"], "pending", 0),
        (newer["webhookEventId"], "pending", 0), (older["webhookEventId"], "processing", 1),
        (free["webhookEventId"], "processing", 1),
    ])  # fmt: skip
    # The claim is a claim: nobody else takes it while leased, and its done mark closes it.
    assert claim(sessions)[2] == busy_before["webhookEventId"]  # the only claimable one
    with sessions() as session, session.begin():
        inbox.mark_done_many(session, [(c.id, c.attempts) for c in claims.claimed])


def test_claims_as_stored_stop_at_the_limit(sessions) -> None:
    events = [text_event(user_source(f"U{n}"), str(n)) for n in range(3)]
    with sessions() as session, session.begin():
        counts, claims = inbox.store_and_claim(session, [events], limit=2, lease=LEASE)
    assert counts == [inbox.StoredCount(new=3, duplicates=0, handed=2)]
    assert claims.left_over and not claims.busy
    assert [c.webhook_event_id for c in claims.claimed] == [e["webhookEventId"] for e in events[:2]]
    with sessions() as session, session.begin():
        counts, claims = inbox.store_and_claim(session, [[text_event(user_source("U9"), "x")]], limit=0, lease=LEASE)
    assert counts[0].handed == 0 and claims.left_over and claims.claimed == []


def test_two_processes_storing_one_persons_first_events_at_once_claim_one(database_url: str) -> None:
    """Two web processes (two engines) store events of one person at the same moment:
    at most one is claimed as stored, the other waits behind it (on PostgreSQL the
    order key's lock makes the second look after the first's commit)."""
    engines = [make_engine(database_url) for _ in range(2)]
    factories = [make_session_factory(engine) for engine in engines]
    try:
        for round_ in range(20):
            go = threading.Barrier(2)
            claimed: list[int] = []

            def write(n: int, round_: int = round_, go: threading.Barrier = go, claimed: list[int] = claimed) -> None:
                event = text_event(user_source(f"U{round_}"), f"{round_}-{n}")
                go.wait()
                with factories[n]() as session, session.begin():
                    _, claims = inbox.store_and_claim(session, [[event]], limit=1, lease=LEASE)
                claimed.extend(c.id for c in claims.claimed)

            threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert len(claimed) == 1, f"round {round_}: {len(claimed)} claimed"
            with factories[0]() as session:
                active = session.query(inbox.InboxEvent).filter(inbox.InboxEvent.order_key == f"U{round_}:U{round_}")
                assert sorted(e.status for e in active) == ["pending", "processing"]
    finally:
        for engine in engines:
            engine.dispose()


def test_requests_arriving_during_a_write_are_stored_together_and_each_woken(database_url: str) -> None:
    """Group commit: ten requests at once; the first writes alone (slowly), the nine that
    came meanwhile are written by one of them in one INSERT, and each request returns
    what it stored, once its events are committed."""
    from sqlalchemy import event as sa_event

    engine = make_engine(database_url)
    inserts: list[str] = []

    def slow_first(conn, cursor, statement: str, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO inbox_events"):
            inserts.append(statement)
            if len(inserts) == 1:
                time.sleep(0.3)

    sa_event.listen(engine, "before_cursor_execute", slow_first)
    writer = inbox.InboxWriter(make_session_factory(engine))
    events = [text_event(user_source(f"U{n}"), str(n)) for n in range(10)]
    results: dict[int, inbox.StoredCount] = {}
    go = threading.Barrier(10)

    def post(n: int) -> None:
        go.wait()
        if n:
            time.sleep(0.05)  # the first is writing by now
        results[n] = writer.store([events[n], events[n]] if n == 9 else [events[n]])

    try:
        threads = [threading.Thread(target=post, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(inserts) == 2
        assert results == {n: inbox.StoredCount(new=1, duplicates=1 if n == 9 else 0) for n in range(10)}
        with make_session_factory(engine)() as session:
            assert inbox.counts_by_status(session) == {"pending": 10}
    finally:
        engine.dispose()

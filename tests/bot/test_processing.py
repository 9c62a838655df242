"""Processing after the acknowledgement: slow LINE, crashes, retries, parking."""

from __future__ import annotations

from collections.abc import Sequence

from bot.events import IncomingEvent
from bot.localline import text_event, user_source
from bot.render import text
from handlers.deps import Deps, Message
from handlers.dispatch import dispatch
from tests.conftest import RunningBot


def test_webhook_answers_fast_while_line_is_slow(bot_factory) -> None:
    bot: RunningBot = bot_factory()
    bot.world.inject_fault("/v2/bot/message/reply", latency=3.0, times=-1)
    results = [bot.client.send_text(user_source(f"U{n}"), "ช่วยเหลือ") for n in range(3)]
    assert [r.status for r in results] == [200, 200, 200]
    assert max(r.elapsed for r in results) < 0.5
    bot.wait_until(lambda: len(bot.world.deliveries(kind="reply")) == 3, timeout=20)


class Flaky:
    """A use case that crashes a set number of times before it works."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def handle(self, event: IncomingEvent, deps: Deps) -> Sequence[Message]:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"boom {self.calls}")
        return [text("สำเร็จแล้ว")]

    def dispatch(self, event: IncomingEvent, deps: Deps) -> Sequence[Message]:
        return self.handle(event, deps) if event.type == "message" else dispatch(event, deps)


def test_a_crashing_event_is_retried_then_succeeds(bot_factory) -> None:
    flaky = Flaky(failures=2)
    bot: RunningBot = bot_factory(dispatch=flaky.dispatch)
    bot.client.send_text(user_source("U1"), "อะไรก็ได้")
    bot.wait_until(lambda: bot.world.deliveries(), timeout=15)
    assert flaky.calls == 3
    assert bot.sql("SELECT status, attempts, last_error FROM inbox_events") == [("done", 3, None)]
    assert bot.world.texts() == ["สำเร็จแล้ว"]


def test_an_event_that_always_crashes_is_parked_and_does_not_block_others(bot_factory) -> None:
    flaky = Flaky(failures=10**6)
    bot: RunningBot = bot_factory(dispatch=flaky.dispatch, max_attempts=3)
    bot.client.send_text(user_source("U1"), "พัง")
    bot.wait_until(lambda: bot.sql("SELECT 1 FROM inbox_events WHERE status = 'parked'"), timeout=20)
    [(attempts, error)] = bot.sql("SELECT attempts, last_error FROM inbox_events")
    assert attempts == 3 and "RuntimeError: boom 3" in error
    assert flaky.calls == 3
    bot.client.follow("U1")  # the same person's next event still goes through
    bot.wait_until(lambda: bot.world.deliveries())
    assert bot.world.deliveries()[0].to == "U1"


def test_a_redelivery_of_a_parked_event_is_not_processed_again(bot_factory) -> None:
    flaky = Flaky(failures=10**6)
    bot: RunningBot = bot_factory(dispatch=flaky.dispatch, max_attempts=1)
    event = text_event(user_source("U1"), "พัง", reply_token=bot.world.issue_reply_token(user_source("U1")))
    bot.client.post([event])
    bot.wait_until(lambda: bot.sql("SELECT 1 FROM inbox_events WHERE status = 'parked'"), timeout=10)
    bot.client.post([{**event, "deliveryContext": {"isRedelivery": True}}])
    bot.settle()
    assert flaky.calls == 1


def test_a_batch_taken_for_sending_commits_its_rows_sending_with_its_events(bot_factory) -> None:
    """``process_batch(take=True)``, the worker's way: each event's reply is written taken
    for sending and comes back whole; an event whose use case raised wrote none, and
    without ``take`` the rows are written pending, for ``deliver``."""
    from bot.processing import claim, process_batch
    from storage import inbox

    def crashes_for_u2(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
        if event.user_id == "U2":
            raise RuntimeError("boom")
        return dispatch(event, deps)

    bot: RunningBot = bot_factory(worker_mode="external")
    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [text_event(user_source(f"U{n}"), "ช่วยเหลือ", reply_token=f"t{n}")
                                     for n in (1, 2, 3)])  # fmt: skip
    batch = claim(bot.services, limit=10)
    assert len(batch) == 3
    results = process_batch(bot.services, batch, crashes_for_u2, take=True)
    assert [r.status for r in results] == ["done", "retry", "done"]
    taken = [[out.taken for out in r.outgoing] for r in results]
    assert [[row.reply_token for row in rows if row] for rows in taken] == [["t1"], [], ["t3"]]
    assert all(row and row.status == "sending" and row.attempts == 1 and row.kind == "reply"
               for rows in taken for row in rows)  # fmt: skip
    assert bot.sql("SELECT reply_token, status, attempts FROM outbox ORDER BY id") == [
        ("t1", "sending", 1), ("t3", "sending", 1)]
    assert bot.world.deliveries() == []  # taken, not sent: sending is the caller's

    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [text_event(user_source("U4"), "ช่วยเหลือ", reply_token="t4")])
    results = process_batch(bot.services, claim(bot.services, limit=10), dispatch)  # U2's too, if its retry is due
    assert all(r.status == "done" and [out.taken for out in r.outgoing] == [None] for r in results)
    assert bot.sql("SELECT status FROM outbox WHERE reply_token = 't4'") == [("pending",)]


def test_a_units_replies_are_written_in_one_insert_at_its_commit(bot_factory, monkeypatch) -> None:
    """Each event of a unit of work hands back its reply's row, but the rows are written
    together when the unit commits: one INSERT, however many events."""
    monkeypatch.setattr("bot.processing.HOLD", {})
    monkeypatch.setattr("bot.processing.HOLD_DEFAULT", 60.0)  # one unit for the batch, however slow the machine
    from sqlalchemy import event as sa_event

    from bot.processing import claim, process_batch
    from storage import inbox

    bot: RunningBot = bot_factory(worker_mode="external")
    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [text_event(user_source(f"U{n}"), "ช่วยเหลือ", reply_token=f"t{n}")
                                     for n in range(1, 6)])  # fmt: skip
    batch = claim(bot.services, limit=10)
    assert len(batch) == 5
    inserts: list[bool] = []

    def count(conn, cursor, statement, params, context, many) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(many)

    sa_event.listen(bot.services.engine, "before_cursor_execute", count)
    try:
        results = process_batch(bot.services, batch, dispatch, take=True)
    finally:
        sa_event.remove(bot.services.engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    tokens = [[out.taken.reply_token for out in r.outgoing if out.taken] for r in results]
    assert sorted(tokens) == [[f"t{n}"] for n in range(1, 6)]
    rows = dict(bot.sql("SELECT reply_token, id FROM outbox"))
    assert all(out.row_id == rows[out.taken.reply_token] for r in results for out in r.outgoing if out.taken)


def test_a_claim_lost_in_a_batch_leaves_that_event_to_its_new_holder_and_the_others_done(bot_factory) -> None:
    """The done marks of a unit of work are written together at its commit; one that
    finds its claim taken over (the lease ran out, another worker re-claimed it) sends
    the unit's events to run again each alone: the others are done once, with their
    replies; the lost one is left to the worker that holds it, and wrote nothing."""
    from sqlalchemy import text as sql_text

    from bot.processing import claim, process_batch
    from storage import inbox

    bot: RunningBot = bot_factory(worker_mode="external")
    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [text_event(user_source(f"U{n}"), "ช่วยเหลือ", reply_token=f"t{n}")
                                     for n in (1, 2, 3)])  # fmt: skip
    batch = claim(bot.services, limit=10)
    stolen = next(c for c in batch if c.payload and '"U2"' in c.payload)
    with bot.services.sessions() as session, session.begin():  # re-claimed by another worker
        session.execute(sql_text("UPDATE inbox_events SET attempts = attempts + 1 WHERE id = :id"), {"id": stolen.id})
    results = process_batch(bot.services, batch, dispatch, take=True)
    assert [r.status for r in results] == ["lost" if c is stolen else "done" for c in batch]
    assert sorted(bot.sql("SELECT reply_token FROM outbox")) == [("t1",), ("t3",)]
    assert sorted(bot.sql("SELECT user_id, status FROM inbox_events")) == [
        ("U1", "done"), ("U2", "processing"), ("U3", "done")]


def test_an_answer_past_five_messages_goes_as_a_reply_then_a_push(bot_factory) -> None:
    """LINE takes five messages a call: the reply carries the first five (taken for
    sending as it is written), the rest go as a push with its retry key."""

    def seven(event: IncomingEvent, deps: Deps) -> Sequence[Message]:
        if event.type != "message":
            return dispatch(event, deps)
        return [text(f"ข้อความที่ {n}") for n in range(1, 8)]

    bot: RunningBot = bot_factory(dispatch=seven)
    bot.world.add_user("U1", "สมชาย")
    bot.client.send_text(user_source("U1"), "ขอดูทั้งหมด")
    bot.settle(timeout=15)
    assert [(d.kind, len(d.messages)) for d in bot.world.deliveries()] == [("reply", 5), ("push", 2)]
    assert bot.world.texts(to="U1") == [f"ข้อความที่ {n}" for n in range(1, 8)]
    assert bot.sql("SELECT kind, purpose, status, attempts FROM outbox ORDER BY id") == [
        ("reply", "reply", "sent", 1), ("push", "reply-overflow", "sent", 1)]


def test_a_unit_reads_its_writers_and_their_drafts_in_one_query_each(bot_factory, monkeypatch) -> None:
    """Issue 9: before running its events a unit of work reads, for all of them at once,
    who writes (a known friend, a member of the group, a coordinator) and their
    conversation state; the events read nothing more of it. A new person is still
    recorded and a coordinator's help still lists the coordinators' commands."""
    monkeypatch.setattr("bot.processing.HOLD", {})
    monkeypatch.setattr("bot.processing.HOLD_DEFAULT", 60.0)  # one unit for the batch, however slow the machine
    from sqlalchemy import event as sa_event

    from bot.localline import group_source
    from bot.processing import claim, process_batch
    from storage import inbox
    from tests.handlers.helpers import UNIT_A, load_plans, make_coordinator

    bot: RunningBot = bot_factory(worker_mode="external")
    load_plans(bot)
    sources = {"U1": user_source("U1"), "U2": group_source("C1", "U2"), "U3": user_source("U3")}

    def run(tokens: dict[str, str], sources: dict[str, dict]) -> list[str]:
        with bot.services.sessions() as session, session.begin():
            inbox.store_events(session, [text_event(source, "ช่วยเหลือ", reply_token=tokens[user])
                                         for user, source in sources.items()])  # fmt: skip
        batch = claim(bot.services, limit=10)
        assert len(batch) == len(sources)
        statements: list[str] = []
        listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        sa_event.listen(bot.services.engine, "before_cursor_execute", listener)
        try:
            assert [r.status for r in process_batch(bot.services, batch, dispatch)] == ["done"] * len(batch)
        finally:
            sa_event.remove(bot.services.engine, "before_cursor_execute", listener)
        return statements

    run({user: f"first-{user}" for user in sources}, sources)  # all three known from here on
    make_coordinator(bot, "U1", UNIT_A)
    statements = run({user: f"again-{user}" for user in sources}, sources)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    (writers,) = [s for s in reads if "persons" in s or "coordinators" in s]
    assert "group_members" in writers  # one look: persons, their groups, coordinators
    assert len([s for s in reads if "state_entries" in s]) == 1
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT INTO GROUP_MEMBERS")]
    # A new person among known ones: read and recorded by its own event.
    run({user: f"third-{user}" for user in [*sources, "U4"]}, {**sources, "U4": user_source("U4")})
    assert bot.sql("SELECT is_friend FROM persons WHERE user_id = 'U4'") == [(True,)]
    helps = dict(bot.sql("SELECT reply_token, messages FROM outbox WHERE reply_token LIKE 'third-%'"))
    assert "เชิญ" in helps["third-U1"] and all("เชิญ" not in helps[f"third-{u}"] for u in ("U2", "U3", "U4"))


def test_a_person_writing_in_two_chats_of_one_unit_is_read_by_each_event(bot_factory, monkeypatch) -> None:
    """The look-ahead leaves out a person with two events in the unit (one-to-one and in
    a group): the first may change what the second reads. Both are answered, and the
    person becomes a member of the group they wrote in for the first time."""
    monkeypatch.setattr("bot.processing.HOLD", {})
    monkeypatch.setattr("bot.processing.HOLD_DEFAULT", 60.0)
    from bot.localline import group_source
    from bot.processing import claim, process_batch
    from storage import inbox

    bot: RunningBot = bot_factory(worker_mode="external")
    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [text_event(user_source("U1"), "ช่วยเหลือ", reply_token="t1"),
                                     text_event(group_source("C9", "U1"), "ช่วยเหลือ", reply_token="t2")])  # fmt: skip
    batch = claim(bot.services, limit=10)
    assert len(batch) == 2
    assert [r.status for r in process_batch(bot.services, batch, dispatch)] == ["done", "done"]
    assert sorted(bot.sql("SELECT reply_token FROM outbox")) == [("t1",), ("t2",)]
    assert bot.sql("SELECT group_id, user_id FROM group_members") == [("C9", "U1")]
    assert bot.sql("SELECT is_friend FROM persons WHERE user_id = 'U1'") == [(True,)]

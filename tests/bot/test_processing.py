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

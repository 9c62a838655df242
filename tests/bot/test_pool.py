"""The delivery pool: the reply whose token expires first goes out first."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.localline import user_source
from bot.pool import DeliveryPool
from storage import outbox
from storage.db import utcnow
from tests.conftest import RunningBot


def test_the_oldest_reply_token_is_answered_first_then_pushes(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    bot.world.add_user("Upush", "ผู้รับ")
    now = utcnow()
    rows = []
    with bot.services.sessions() as session, session.begin():
        for n, age in enumerate((5, 40, 20)):  # received 5 s, 40 s and 20 s ago
            token = bot.world.issue_reply_token(user_source(f"U{n}"))
            reply = outbox.enqueue_reply(session, chat_id=f"U{n}", reply_token=token,
                                         messages=[{"type": "text", "text": f"{age}"}],
                                         event_time=now - timedelta(seconds=age))  # fmt: skip
            rows.append((reply.id, reply.token_expires_at))
        push = outbox.enqueue_push(session, chat_id="Upush", messages=[{"type": "text", "text": "push"}],
                                   purpose="test")  # fmt: skip
        assert push is not None
    pool = DeliveryPool(bot.services, size=1)
    gate = threading.Event()
    pool.chore(gate.wait)  # the one thread is busy until the gate opens
    pool.send(push.id, None)
    for row_id, deadline in rows:
        pool.send(row_id, deadline)
    gate.set()
    bot.wait_until(lambda: len(bot.world.deliveries()) == 4)
    pool.stop()
    assert bot.world.texts() == ["40", "20", "5", "push"]


def test_threads_start_with_work_and_are_bounded(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    pool = DeliveryPool(bot.services, size=3)
    gate = threading.Event()
    for _ in range(10):
        pool.chore(gate.wait)
    running = [t for t in threading.enumerate() if t.name.startswith("kaona-delivery-")]
    assert len(running) == 3
    assert pool.backlog() >= 7 - 3
    gate.set()
    pool.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("kaona-delivery-") and t.is_alive()]


def _taken_replies(bot: RunningBot, count: int) -> list[outbox.OutboxMessage]:
    now = utcnow()
    with bot.services.sessions() as session, session.begin():
        ids = [
            outbox.enqueue_reply(session, chat_id=f"U{n}", reply_token=bot.world.issue_reply_token(user_source(f"U{n}")),
                                 messages=[{"type": "text", "text": f"ตอบ {n}"}], event_time=now).id
            for n in range(count)
        ]  # fmt: skip
    with bot.services.sessions() as session, session.begin():
        return outbox.begin_sending_many(session, ids)


def test_replies_wait_on_line_side_by_side_not_one_per_thread(bot_factory) -> None:
    """With LINE taking 1 s a call, 40 replies through a pool of 2 threads are all
    in flight at once (on the asyncio thread), not two at a time."""
    bot: RunningBot = bot_factory(worker_mode="external")
    rows = _taken_replies(bot, 40)
    bot.world.inject_fault("/v2/bot/message/reply", latency=1.0, times=-1)
    pool = DeliveryPool(bot.services, size=2)
    for row in rows:
        pool.send_taken(row)
    bot.wait_until(lambda: len(bot.world.deliveries(kind="reply")) == 40, timeout=30)
    bot.wait_until(lambda: bot.sql("SELECT count(*) FROM outbox WHERE status = 'sent'")[0][0] == 40)
    pool.stop()
    taken = [d.at for d in bot.world.deliveries(kind="reply")]
    # When LINE took each, by its own clock: one call after the other on 2 threads
    # spreads them over 19 s or more.
    assert max(taken) - min(taken) < 5.0, max(taken) - min(taken)
    assert sorted(bot.world.texts()) == sorted(f"ตอบ {n}" for n in range(40))


def test_a_reply_line_refuses_is_settled_on_a_thread_and_tried_again(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    [row] = _taken_replies(bot, 1)
    bot.world.inject_fault("/v2/bot/message/reply", status=500, times=1)
    pool = DeliveryPool(bot.services, size=1)
    pool.send_taken(row)
    bot.wait_until(lambda: bot.sql("SELECT status, attempts FROM outbox") == [("pending", 1)])
    pool.stop()
    assert bot.world.deliveries() == []  # LINE refused it: scheduled for the sweeper, within the token's minute
    [(error,)] = bot.sql("SELECT last_error FROM outbox")
    assert "500" in error


def test_the_replies_line_took_are_recorded_many_to_a_transaction(bot_factory, monkeypatch) -> None:
    """Issue 9: replies that end one after another are recorded at most every
    ``RECORD_PACE`` seconds, all that ended meanwhile together (on SQLite each record
    takes the write lock that webhooks wait for): 30 replies ending 10 ms apart are a
    handful of transactions, not 30."""
    import time

    from bot.delivery import Finisher
    from bot.pool import RECORD_PACE

    bot: RunningBot = bot_factory(worker_mode="external")
    rows = _taken_replies(bot, 30)
    writes: list[int] = []
    write = Finisher.write
    monkeypatch.setattr(Finisher, "write", lambda self, ends: (writes.append(len(ends)), write(self, ends))[1])
    pool = DeliveryPool(bot.services, size=1)
    started = time.monotonic()
    for row in rows:
        pool.send_taken(row)
        time.sleep(0.01)
    bot.wait_until(lambda: bot.sql("SELECT count(*) FROM outbox WHERE status = 'sent'")[0][0] == 30)
    elapsed = time.monotonic() - started
    pool.stop()
    assert sum(writes) == 30
    assert len(writes) <= elapsed / RECORD_PACE + 2, (writes, elapsed)
    assert len(writes) < 15

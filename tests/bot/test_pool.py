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

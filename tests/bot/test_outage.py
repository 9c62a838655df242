"""Issue 14, defects 2 and 4: a dependency outage is not a bad event, and an event
whose payload cannot be read goes through the same retry-then-park path as a crash."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.localline import group_source, text_event, user_source
from storage import inbox
from storage.db import utcnow
from storage.models import InboxEvent
from tests.conftest import RunningBot

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test's own, so stopping it disturbs nothing else."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self._proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(10)
            self._proc = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def test_a_redis_outage_parks_nothing_and_every_event_is_answered_once_it_is_back(
    bot_factory, private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    bot: RunningBot = bot_factory(redis_url=private_redis.url, max_attempts=3)
    bot.client.send_text(user_source("U0"), "ช่วยเหลือ")
    bot.settle()
    caplog.set_level(logging.INFO)
    private_redis.stop()
    # A wrong binding code is counted in Redis (the guard against guessing): these wait.
    for n in range(1, 6):
        assert bot.client.send_text(group_source(f"C{n}", f"U{n}"), "ผูกโครงการ 999999").status == 200
    # Conversations keep their drafts in the database: help is answered meanwhile.
    bot.client.send_text(user_source("U6"), "ช่วยเหลือ")
    bot.wait_until(lambda: "U6" in [d.to for d in bot.world.deliveries(kind="reply")])
    # With three tries and backoff the old path parked them all within about 2 s.
    time.sleep(5)
    assert bot.sql("SELECT count(*) FROM inbox_events WHERE status = 'parked'") == [(0,)]
    assert bot.sql("SELECT count(*) FROM inbox_events WHERE status IN ('pending', 'processing')") == [(5,)]
    private_redis.start()
    bot.settle(timeout=30)
    assert bot.sql("SELECT status, count(*) FROM inbox_events GROUP BY status") == [("done", 7)]
    replies = bot.world.deliveries(kind="reply")
    assert sorted(d.to for d in replies) == sorted(["U0", "U6"] + [f"C{n}" for n in range(1, 6)])
    assert bot.sql("SELECT count(*) FROM outbox WHERE fallback_push") == [(0,)]
    alarms = [r for r in caplog.records if "dependency outage:" in r.getMessage()]
    assert len(alarms) == 1  # one alert, not a traceback per try
    assert not [r for r in caplog.records if r.getMessage().startswith("processing event")]
    assert [r for r in caplog.records if "dependency outage over" in r.getMessage()]


def _store_raw(bot: RunningBot, event: dict, *, left_by_a_dead_worker: int = 0,
               lease: timedelta = timedelta(minutes=-5)) -> None:
    """Store an event as the webhook would; or, with ``left_by_a_dead_worker``, as a
    worker leaves it during its n-th claim (processing; by default its lease run out)."""
    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [event])
        if left_by_a_dead_worker:
            session.execute(
                update(InboxEvent)
                .where(InboxEvent.webhook_event_id == event["webhookEventId"])
                .values(status="processing", attempts=left_by_a_dead_worker, lease_until=utcnow() + lease)
            )


def test_an_event_whose_payload_cannot_be_read_is_parked_and_the_chat_goes_on(bot_factory) -> None:
    """Stored before the webhook checked shapes (or by a bug): it used to raise in
    ``from_payload`` outside the retry path, stay "processing" and block the person."""
    bot: RunningBot = bot_factory(max_attempts=2)
    bad = text_event(user_source("U1"), "สถานะ", reply_token="t1")
    bad["message"] = {"type": "text", "id": "1", "text": "x", "fileSize": 12, "mention": {"mentionees": 5}}
    _store_raw(bot, bad)
    bot.client.send_text(user_source("U1"), "ช่วยเหลือ")
    bot.settle(timeout=20)
    assert bot.sql("SELECT status, attempts FROM inbox_events ORDER BY id") == [("parked", 2), ("done", 1)]
    [(error,)] = bot.sql("SELECT last_error FROM inbox_events WHERE status = 'parked'")
    assert "Error" in error
    assert [d.to for d in bot.world.deliveries(kind="reply")] == ["U1"]


def test_an_event_claimed_past_its_attempt_limit_is_parked_without_running(bot_factory) -> None:
    """A worker that died on the event each time left it "processing" past the limit."""
    bot: RunningBot = bot_factory(max_attempts=3)
    event = text_event(user_source("U1"), "ช่วยเหลือ", reply_token="t1")
    _store_raw(bot, event, left_by_a_dead_worker=3)
    bot.client.send_text(user_source("U1"), "ช่วยเหลือ")
    bot.settle(timeout=20)
    rows = bot.sql("SELECT status, last_error FROM inbox_events ORDER BY id")
    assert rows[0][0] == "parked" and "claimed 4 times" in rows[0][1]
    assert rows[1][0] == "done"
    assert len(bot.world.deliveries(kind="reply")) == 1


def test_events_claimed_while_the_database_went_down_are_put_back_when_it_answers(bot_factory) -> None:
    """They waited out their 60 s lease before (answers arriving late, as pushes)."""
    from bot.processing import put_back_held

    bot: RunningBot = bot_factory()
    event = text_event(user_source("U1"), "ช่วยเหลือ", reply_token="t1")
    _store_raw(bot, event, left_by_a_dead_worker=1, lease=timedelta(minutes=5))  # held here, lease running
    [(event_id,)] = bot.sql("SELECT id FROM inbox_events")
    bot.services.outage.hold(event_id, "OperationalError: the database is down")
    assert put_back_held(bot.services) == 1
    bot.settle(timeout=10)  # answered at once, not after the lease
    assert bot.sql("SELECT status, attempts FROM inbox_events") == [("done", 1)]

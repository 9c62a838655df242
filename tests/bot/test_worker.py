"""The separate worker process: killed and restarted, every event is processed once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.localline import user_source
from bot.settings import Settings
from tests.conftest import RunningBot

ROOT = Path(__file__).resolve().parents[2]


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "LINE_API_BASE_URL": settings.line_api_base_url or "",
        "LINE_CHANNEL_SECRET": settings.channel_secret,
        "LINE_CHANNEL_ACCESS_TOKEN": settings.channel_access_token,
        "KAONA_OUTBOX_STALE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    else:
        env.pop("REDIS_URL", None)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_events_stored_while_no_worker_runs_are_processed_once_after_restart(bot_factory, settings) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    worker = start_worker(settings)
    try:
        kill(worker)  # the worker is gone before anything arrives
        for n in range(3):
            assert bot.client.send_text(user_source(f"U{n}"), "ช่วยเหลือ").status == 200
        time.sleep(0.5)
        assert bot.sql("SELECT count(*) FROM inbox_events WHERE status = 'pending'")[0][0] == 3
        assert bot.world.deliveries() == []
        worker = start_worker(settings)
        bot.settle(timeout=30)
    finally:
        kill(worker)
    assert bot.sql("SELECT status, attempts FROM inbox_events") == [("done", 1)] * 3
    assert sorted(d.to for d in bot.world.deliveries()) == ["U0", "U1", "U2"]


def test_worker_killed_mid_send_is_restarted_and_nothing_is_sent_twice(bot_factory, settings) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    bot.world.inject_fault("/v2/bot/message/reply", latency=2.0, times=1)
    worker = start_worker(settings)
    try:
        bot.client.send_text(user_source("U1"), "ช่วยเหลือ")
        bot.wait_until(lambda: not bot.world.faults(), timeout=20)  # the reply's headers reached LINE
        assert bot.sql("SELECT status FROM outbox") == [("sending",)]
        kill(worker)  # dies while LINE is still answering the reply (it takes 2 s)
        worker = start_worker(settings)
        bot.client.send_text(user_source("U2"), "ช่วยเหลือ")
        bot.settle(timeout=30)
    finally:
        kill(worker)
    assert bot.sql("SELECT status, attempts FROM inbox_events ORDER BY id") == [("done", 1), ("done", 1)]
    # The restarted worker sends the cut-off reply again on the same token: either it
    # goes through (the first call never completed) or LINE refuses the spent token
    # ("unknown"); either way U1 is answered once, and never by a push.
    bot.wait_until(lambda: len(bot.world.deliveries()) >= 2, timeout=10)
    time.sleep(0.5)
    assert sorted((d.kind, d.to) for d in bot.world.deliveries()) == [("reply", "U1"), ("reply", "U2")]
    [(first,), (second,)] = bot.sql("SELECT status FROM outbox ORDER BY id")
    assert first in ("sent", "unknown") and second == "sent"

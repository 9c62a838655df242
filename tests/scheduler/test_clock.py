"""The clock: its jobs, and that they do their work on the real database."""

from __future__ import annotations

import time

from apscheduler.schedulers.background import BackgroundScheduler

from bot.delivery import deliver
from bot.localline import user_source
from scheduler import jobs
from scheduler.clock import build_scheduler
from storage import outbox
from storage.state import SqlStateStore
from tests.conftest import RunningBot


def test_the_clock_schedules_its_jobs_in_the_bot_time_zone(bot: RunningBot) -> None:
    scheduler = build_scheduler(bot.services, BackgroundScheduler(timezone=bot.services.settings.tz))
    jobs_by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs_by_id) == {"retry_due_messages", "purge_expired_state", "purge_old_rows", "report_inbox",
                               "send_due_messages"}  # fmt: skip
    assert all(job.coalesce and job.max_instances == 1 for job in jobs_by_id.values())
    assert str(scheduler.timezone) == "Asia/Bangkok"


def test_retry_due_messages_sends_what_is_due(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external", push_max_retries=1)
    bot.world.add_user("U1", "สมศรี")
    bot.world.inject_fault("/v2/bot/message/push", status=500, times=1)
    with bot.services.sessions() as session, session.begin():
        row = outbox.enqueue_push(session, chat_id="U1", messages=[{"type": "text", "text": "เตือน"}], purpose="t")
    assert deliver(bot.services, row.id) == "pending"
    with bot.services.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE outbox SET next_attempt_at = created_at")
    assert jobs.retry_due_messages(bot.services) == 1
    assert bot.world.texts(to="U1") == ["เตือน"]


def test_purge_and_inbox_report(bot: RunningBot) -> None:
    bot.services.state.set("short", "x", ttl=1)
    time.sleep(1.1)
    purged = jobs.purge_expired_state(bot.services)
    assert bot.services.state.get("short") is None
    if isinstance(bot.services.state, SqlStateStore):  # Redis expires its own keys
        assert purged == 1 and bot.sql("SELECT count(*) FROM state_entries WHERE key = 'short'") == [(0,)]
    bot.client.send_text(user_source("U1"), "ช่วยเหลือ")
    bot.settle()
    assert jobs.report_inbox(bot.services) == {"done": 1}


def test_the_clock_sends_what_is_due_once_however_often_it_looks(bot_factory) -> None:
    from tests.handlers.helpers import bind_group, load_plans

    bot: RunningBot = bot_factory(worker_mode="external")
    sample, _ = load_plans(bot)
    bind_group(bot, "Cclock", [p.id for p in sample], ["U1", "U2"])
    first = jobs.send_due_messages(bot.services)  # today (Sat 21 Nov 2026) is in the grace window of Fri the 20th
    assert [p.send.target for p in first.kept] == ["Cclock"]
    jobs.send_due_messages(bot.services)
    assert len(bot.world.deliveries("push", to="Cclock")) == 1


def test_a_due_messages_run_that_fails_is_tried_again_soon_not_in_five_minutes(bot_factory) -> None:
    """Found by the PostgreSQL-restart fault script: a clock whose first run met the
    database down sent nothing until the next interval, five minutes later."""
    from datetime import datetime

    from sqlalchemy import create_engine

    from scheduler import clock
    from tests.handlers.helpers import bind_group, load_plans

    bot: RunningBot = bot_factory(worker_mode="external")
    sample, _ = load_plans(bot)
    bind_group(bot, "Cclock", [p.id for p in sample], ["U1", "U2"])
    scheduler = BackgroundScheduler(timezone=bot.services.settings.tz)
    working = bot.services.engine
    bot.services.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # the database is down
    bot.services.sessions.configure(bind=bot.services.engine)
    try:
        clock.send_due_messages(bot.services, scheduler)
    finally:
        bot.services.engine = working
        bot.services.sessions.configure(bind=working)
    retry = scheduler.get_job("send_due_messages_retry")
    assert retry is not None, "a retry is scheduled"
    seconds = (retry.trigger.run_date - datetime.now(bot.services.settings.tz)).total_seconds()
    assert 0 < seconds <= clock.RETRY_SECONDS
    retry.func(*retry.args)  # the database is back when it runs
    assert len(bot.world.deliveries("push", to="Cclock")) == 1

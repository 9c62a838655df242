"""The clock process (`kaona clock`): APScheduler 3 in its own process.

Times are in BOT_TIMEZONE. Jobs coalesce and never overlap themselves, so a
clock that was down runs a missed job once, not once per missed tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.services import Services
from scheduler import jobs

log = logging.getLogger(__name__)
# A run of due messages that failed (the database or Redis was down) is tried again this
# soon, not at the next interval five minutes later.
RETRY_SECONDS = 15
DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def build_scheduler(services: Services, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    scheduler = scheduler or BlockingScheduler(timezone=services.settings.tz)
    defaults = DEFAULTS
    scheduler.add_job(jobs.retry_due_messages, "interval", minutes=1, args=[services], id="retry_due_messages", **defaults)
    scheduler.add_job(jobs.purge_expired_state, "interval", hours=1, args=[services], id="purge_expired_state", **defaults)
    # Daily at 03:30 (BOT_TIMEZONE), when nobody reports.
    scheduler.add_job(jobs.purge_old_rows, "cron", hour=3, minute=30, args=[services], id="purge_old_rows", **defaults)
    scheduler.add_job(jobs.report_inbox, "interval", minutes=15, args=[services], id="report_inbox", **defaults)
    # Reminders, follow-ups, digests and new-report notices: whatever is due, through the
    # ledger, every few minutes, and once at start (catching up missed runs in the grace window).
    scheduler.add_job(send_due_messages, "interval", minutes=5, args=[services, scheduler], id="send_due_messages",
                      next_run_time=datetime.now(services.settings.tz), **defaults)  # fmt: skip
    return scheduler


def send_due_messages(services: Services, scheduler: BaseScheduler) -> None:
    """The due-messages run; one that fails is tried again in ``RETRY_SECONDS``."""
    try:
        jobs.send_due_messages(services)
    except Exception as exc:  # noqa: BLE001 - any outage: try again soon, the ledger keeps it once
        log.warning("due messages not sent (%s: %s); trying again in %d s",
                    type(exc).__name__, str(exc).splitlines()[0][:200], RETRY_SECONDS)  # fmt: skip
        scheduler.add_job(send_due_messages, "date", args=[services, scheduler], id="send_due_messages_retry",
                          run_date=datetime.now(services.settings.tz) + timedelta(seconds=RETRY_SECONDS),
                          replace_existing=True, **DEFAULTS)  # fmt: skip


def run(services: Services) -> None:
    scheduler = build_scheduler(services)
    log.info("clock started with jobs: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("clock stopped")

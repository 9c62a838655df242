"""Scheduled jobs: plain functions over Services, the same use cases the webhook uses."""

from __future__ import annotations

import logging

from bot.delivery import sweep
from bot.services import Services
from scheduler import runs
from storage import inbox, retention
from storage.state import SqlStateStore

log = logging.getLogger(__name__)


def retry_due_messages(services: Services) -> int:
    """Pushes that failed transiently are tried again with their own retry keys."""
    return sweep(services)


def purge_expired_state(services: Services) -> int:
    """Drafts and guards in the SQL database past their time (Redis expires its own)."""
    return SqlStateStore(services.sessions).purge_expired()


def purge_old_rows(services: Services) -> retention.PurgeResult:
    """The inbox and outbox past KAONA_RETENTION_DAYS, final states only (storage.retention)."""
    result = retention.purge(services.sessions, days=services.settings.retention_days)
    if result.inbox or result.outbox:
        log.info("purged %d inbox event(s) and %d outbox row(s) older than %d days",
                 result.inbox, result.outbox, services.settings.retention_days)  # fmt: skip
    return result


def report_inbox(services: Services) -> dict[str, int]:
    with services.sessions() as session:
        counts = inbox.counts_by_status(session)
    if counts.get("parked"):
        log.warning("inbox has %d parked event(s): see `kaona inbox`", counts["parked"])
    return counts


def send_due_messages(services: Services) -> runs.RunResult:
    """Reminders, follow-ups, digests and new-report notices due now (each once)."""
    result = runs.run(services, services.clock())
    if result.kept or result.skipped:
        log.info("scheduled messages: %s, cost %d, %d skipped by the quota guard",
                 result.statuses, result.cost, len(result.skipped))  # fmt: skip
    return result

"""Retention of the inbox and the outbox (issue 14, defect 8): final states past the
retention go, in-flight rows and the reminders' ledger never do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.cli import main
from storage import inbox, outbox, retention
from storage.db import make_engine, make_session_factory, utcnow
from storage.models import InboxEvent, OutboxMessage
from storage.reminder_models import SendLedger

OLD = timedelta(days=91)


def _event(n: int) -> dict:
    return {"type": "message", "webhookEventId": f"01EV{n:04d}", "timestamp": 1_700_000_000_000 + n,
            "source": {"type": "user", "userId": f"U{n:032d}"}, "message": {"type": "text", "text": "x"}}  # fmt: skip


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _fill(sessions) -> None:
    """One inbox event and one outbox row per status, each old and new; a ledger row."""
    statuses_in = ["pending", "processing", "done", "ignored", "standby", "parked", "rejected"]
    statuses_out = ["pending", "sending", "sent", "failed", "dropped", "unknown"]
    now = utcnow()
    with sessions() as session, session.begin():
        inbox.store_events(session, [_event(n) for n in range(len(statuses_in) * 2)])
        ids = list(session.scalars(select(InboxEvent.id).order_by(InboxEvent.id)))
        for n, row_id in enumerate(ids):
            at = now - OLD if n % 2 == 0 else now - timedelta(days=89)
            session.execute(inbox.update(InboxEvent).where(InboxEvent.id == row_id)
                            .values(status=statuses_in[n // 2], received_at=at))  # fmt: skip
        for n in range(len(statuses_out) * 2):
            row = outbox.enqueue_push(session, chat_id=f"U{n}", messages=[{"type": "text", "text": "x"}],
                                      purpose="scheduled-reminder", dedupe_key=f"ledger:{n}")  # fmt: skip
            row.status = statuses_out[n // 2]
            row.created_at = now - OLD if n % 2 == 0 else now - timedelta(days=89)
        session.add(SendLedger(target="Cgroup", scope="project:1", month="2026-08", occasion="reminder",
                               kind="reminder", status="queued", outbox_id=1, created_at=now - OLD * 3))  # fmt: skip


def _left(sessions) -> tuple[set[tuple[str, bool]], set[tuple[str, bool]], int]:
    cutoff = utcnow() - timedelta(days=90)
    with sessions() as session:
        ins = {(r.status, r.received_at < cutoff) for r in session.scalars(select(InboxEvent))}
        outs = {(r.status, r.created_at < cutoff) for r in session.scalars(select(OutboxMessage))}
        ledger = len(list(session.scalars(select(SendLedger))))
    return ins, outs, ledger


def test_purge_deletes_final_states_past_the_retention_only(sessions) -> None:
    _fill(sessions)
    result = retention.purge(sessions, days=90)
    assert (result.inbox, result.outbox) == (4, 4)
    ins, outs, ledger = _left(sessions)
    assert {s for s, old in ins if old} == {"pending", "processing", "rejected"}  # in flight, or unknown to it
    assert {s for s, old in ins if not old} == {"pending", "processing", "done", "ignored", "standby", "parked", "rejected"}
    assert {s for s, old in outs if old} == {"pending", "sending"}
    assert len({s for s, old in outs if not old}) == 6
    assert ledger == 1  # the reminders' "sent once" claims are never purged
    again = retention.purge(sessions, days=90)
    assert (again.inbox, again.outbox) == (0, 0)


def test_a_dry_run_counts_and_deletes_nothing(sessions) -> None:
    _fill(sessions)
    before = _left(sessions)
    result = retention.purge(sessions, days=90, dry_run=True)
    assert (result.inbox, result.outbox, result.dry_run) == (4, 4, True)
    assert _left(sessions) == before


def test_the_retention_never_reaches_into_this_months_quota(sessions) -> None:
    with pytest.raises(ValueError):
        retention.purge(sessions, days=7)


def test_purge_goes_in_batches(sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 3)
    _fill(sessions)
    assert retention.purge(sessions, days=90).inbox == 4


def test_kaona_purge_and_its_dry_run(sessions, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    _fill(sessions)
    assert main(["purge", "--dry-run"]) == 0
    assert "would delete 4 inbox event(s) and 4 outbox row(s)" in capsys.readouterr().out
    assert main(["purge", "--days", "10"]) == 2  # under 32 days: refused
    assert main(["purge"]) == 0
    assert "deleted 4 inbox event(s) and 4 outbox row(s)" in capsys.readouterr().out
    assert main(["purge"]) == 0
    assert "deleted 0 inbox" in capsys.readouterr().out


def test_the_clock_job_purges_with_the_configured_retention(bot_factory) -> None:
    from scheduler import jobs

    bot = bot_factory(worker_mode="external", retention_days=60)
    with bot.services.engine.begin() as conn:
        conn.execute(text("DELETE FROM inbox_events"))
    with bot.services.sessions() as session, session.begin():
        inbox.store_events(session, [_event(1)])
        session.execute(inbox.update(InboxEvent).values(status="done", received_at=datetime.now(UTC) - timedelta(days=61)))
    assert jobs.purge_old_rows(bot.services).inbox == 1

"""`kaona migrate` and `kaona inbox`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cli import main
from storage import inbox, outbox
from storage.db import make_engine, make_session_factory


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_migrate_reports_the_revision(capsys) -> None:
    assert main(["migrate"]) == 0
    assert "is at revision 0007" in capsys.readouterr().out  # the newest migration (0004, 0008, 0006, 0007)


def test_inbox_shows_parked_events_counts_fallback_pushes_and_requeues(capsys, database: str) -> None:
    engine = make_engine(database)
    sessions = make_session_factory(engine)
    event = {"type": "message", "webhookEventId": "01HX", "timestamp": 1, "source": {"type": "user", "userId": "U1"},
             "message": {"type": "text", "text": "x"}}  # fmt: skip
    with sessions() as session, session.begin():
        inbox.store_events(session, [event])
        session.execute(inbox.update(inbox.InboxEvent).values(status="parked", last_error="RuntimeError: boom"))
        row = outbox.enqueue_reply(session, chat_id="U1", reply_token="t", messages=[{"type": "text", "text": "x"}],
                                   event_time=datetime.now(UTC))  # fmt: skip
        row.fallback_push = True
    assert main(["inbox"]) == 0
    out = capsys.readouterr().out
    assert "parked  1" in out and "RuntimeError: boom" in out
    assert "1 were replies sent as pushes" in out
    assert main(["inbox", "--retry-parked"]) == 0
    assert "requeued 1 parked event(s)" in capsys.readouterr().out
    with sessions() as session:
        assert inbox.counts_by_status(session) == {"pending": 1}
    engine.dispose()

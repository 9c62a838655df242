"""Telling workers in other processes that events were stored: PostgreSQL's
LISTEN/NOTIFY (delivered on commit, so a worker never looks before the rows are
there). SQLite has no such thing; its workers live in the web process or poll."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

CHANNEL = "kaona_inbox"


def supported(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def announce(session: Session) -> None:
    """In the transaction that stored events: wake the listening workers at its commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


def notifications(engine: Engine, *, stop: threading.Event, every: float = 1.0) -> Iterator[None]:
    """One item per notification (or per burst of them) until ``stop`` is set."""
    import psycopg

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        while not stop.is_set():
            for _ in conn.notifies(timeout=every):
                yield None

"""Engines: on PostgreSQL a pooled connection is pinged before use only after sitting
idle (the pool's own pre-ping cost a round trip on every transaction)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from storage.db import make_engine, ping_after_idle


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to lose a connection")
    return database_url


def _backend_pid(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    other = create_engine(url, poolclass=None)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_idle_in_the_pool_whose_server_side_went_away_is_replaced(pg_url: str) -> None:
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle=0.05)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        time.sleep(0.1)
        assert _backend_pid(engine) != first  # pinged, found gone, reconnected: no error
    finally:
        engine.dispose()


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(pg_url: str) -> None:
    """The price: a server side lost in that moment fails the next transaction (an
    outage to its caller), as a loss in the middle of a transaction does anyway."""
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle=60.0)
    try:
        _terminate(pg_url, _backend_pid(engine))
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) > 0  # the pool dropped it: the next one is new
    finally:
        engine.dispose()


def test_postgresql_engines_ping_after_idle_not_on_every_checkout(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.db.IDLE_PING_SECONDS", 0.05)
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        assert not engine.pool._pre_ping  # noqa: SLF001 - the pool's own ping, on every checkout
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        time.sleep(0.1)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()

"""Engines and sessions. SQLite is the embedded default; PostgreSQL in production."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from storage.sqlite import BUSY_SECONDS, READ_ONLY, URGENT, WriterTurns, sqlite_pragmas


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend, returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _lock_file(database: str | None) -> Path | None:
    return None if not database or database == ":memory:" else Path(database + "-writer")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections are cheap here, and a thread waiting for one would wait behind
        # the writer anyway: enough for the webhook, worker and delivery threads.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 80)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS},
            **kwargs,
        )
        event.listen(engine, "connect", sqlite_pragmas)
        WriterTurns(engine, lock_file=_lock_file(parsed.database))
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):  # a ping on every checkout, if asked for, does it already
        ping_after_idle(engine)
    return engine


# A pooled connection idle this long is pinged before use (the server may have closed
# it, or restarted); one back in the pool for less is used as it is.
IDLE_PING_SECONDS = 2.0


def ping_after_idle(engine: Engine, *, idle: float | None = None) -> None:
    """``pool_pre_ping`` for connections that sat idle in the pool only. The pool's own
    pre-ping costs a round trip on every checkout (0.12-0.22 ms of CPU a transaction,
    measured here); a connection used a moment ago is as alive as the server, and a
    server lost mid-use fails the transaction whether pinged or not (an outage, which
    every caller handles). A failed ping makes the pool reconnect, as its own pre-ping
    does. ``idle``: ``IDLE_PING_SECONDS`` unless given."""
    dialect = engine.dialect
    limit = IDLE_PING_SECONDS if idle is None else idle

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < limit:  # new, or in use a moment ago
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure: a new connection
            raise DisconnectionError(f"pooled connection idle {time.monotonic() - since:.0f} s is gone: {exc}") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for steps that only read (idle polls, the sweeper's look, checks before a
    send): on SQLite they take no write lock. Writing through them is a mistake."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def urgent_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for the webhook's writes, which LINE waits on: on SQLite they take the
    writer's turn before the worker's (``storage.sqlite.WriterTurns``)."""
    return sessionmaker(engine.execution_options(**{URGENT: True}), expire_on_commit=False)


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The INSERT construct with ON CONFLICT support for the session's backend."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert

"""Engines and sessions. SQLite is the embedded default; PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
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
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


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

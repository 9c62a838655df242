"""The long-lived pieces one process needs, built once from settings (never at import)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import LineGateway
from bot.outage import OutageAlarm
from bot.settings import DEFAULT_DATA_DIR, Settings
from storage.db import (
    make_engine,
    make_session_factory,
    read_only_sessions,
    urgent_sessions,
    utcnow,
)
from storage.files import FileStore, LocalFileStore, S3FileStore
from storage.inbox import InboxWriter
from storage.state import DurableStateStore, RedisStateStore, SqlStateStore, StateStore

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    state: StateStore
    gateway: LineGateway
    files: FileStore | None = None
    redis: redis.Redis | None = None
    # Sessions for steps that only read; on SQLite they take no write lock.
    readers: sessionmaker[Session] | None = None
    # "Now" for the use cases (dates, months, idle time); tests start it at a fixed day.
    clock: Callable[[], datetime] = utcnow
    closed: bool = field(default=False)
    # Logs a dependency outage once, and counts the events it deferred.
    outage: OutageAlarm = field(default_factory=OutageAlarm)
    # The webhook's inbox writes, requests arriving together in one transaction.
    inbox_writer: InboxWriter = field(init=False)

    def __post_init__(self) -> None:
        self.inbox_writer = InboxWriter(urgent_sessions(self.engine))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for a step that only reads (on SQLite it takes no write lock)."""
        with (self.readers or self.sessions)() as session, session.begin():
            yield session

    def database_ok(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            log.exception("database health check failed")
            return False

    def redis_ok(self) -> bool | None:
        """None when no Redis is configured."""
        if self.redis is None:
            return None
        try:
            return bool(self.redis.ping())
        except Exception:  # noqa: BLE001 - any failure is "down" for a health check
            log.exception("redis health check failed")
            return False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.gateway.close()
        if self.redis is not None:
            self.redis.close()
        self.engine.dispose()


def build_services(
    settings: Settings, *, migrate: bool = False, clock: Callable[[], datetime] = utcnow
) -> Services:
    engine = make_engine(settings.database_url)
    if migrate:
        # Only entry points ask for this (the SQLite auto-migrate); the web process of a
        # deployment never loads the migration machinery.
        from storage.migrate import upgrade

        upgrade(engine)
    sessions = make_session_factory(engine)
    client = None
    state: StateStore
    if settings.redis_url:
        import redis as redis_lib

        client = redis_lib.Redis.from_url(
            settings.redis_url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=30
        )
        state = DurableStateStore(SqlStateStore(sessions), RedisStateStore(client))
    else:
        state = SqlStateStore(sessions)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        state=state,
        gateway=LineGateway(settings),
        files=file_store(settings),
        redis=client,
        readers=read_only_sessions(engine),
        clock=clock,
    )


def file_store(settings: Settings) -> FileStore:
    if settings.s3_bucket:
        return S3FileStore(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url)
    return LocalFileStore(Path(settings.files_dir) if settings.files_dir else DEFAULT_DATA_DIR / "files")

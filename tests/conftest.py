"""Shared fixtures: a real database (SQLite file, or PostgreSQL), real Redis when the
service run is on, the local LINE-compatible server, and the bot over real HTTP.

Two runs of the same suite (see scripts/test):
  embedded:  SQLite, no Redis (the default)
  services:  KAONA_TEST_SERVICES=1 -> PostgreSQL 127.0.0.1:5432/test and Redis 127.0.0.1:6379
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import create_app, shutdown, start_worker
from bot.localline import LocalLineServer, WebhookClient, World
from bot.services import Services, build_services
from bot.serving import BackgroundServer
from bot.settings import Settings
from storage.db import make_engine, utcnow
from storage.migrate import upgrade
from storage.schema import metadata

SERVICES = os.environ.get("KAONA_TEST_SERVICES", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("KAONA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KAONA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "test-channel-secret"
TOKEN = "local-token"
HOW_TO = "run `scripts/test` (both runs) or `KAONA_TEST_SERVICES=1 pytest` with PostgreSQL and Redis up"


def pytest_report_header(config: pytest.Config) -> str:
    return f"kaona backend: {'PostgreSQL + Redis' if SERVICES else 'SQLite, no Redis'}"


def _reachable_pg() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL at {PG_URL} is unreachable ({exc.__class__.__name__})"


def _reachable_redis() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is unreachable ({exc.__class__.__name__})"


@pytest.fixture(scope="session")
def services_available() -> None:
    """Fail under CI, skip locally, when the service run cannot reach its services."""
    if not SERVICES:
        return
    problem = _reachable_pg() or _reachable_redis()
    if problem:
        if os.environ.get("CI"):
            pytest.exit(f"service run requested under CI but {problem}", returncode=3)
        pytest.skip(f"{problem}; {HOW_TO}")


@pytest.fixture(scope="session")
def _pg_schema(services_available: None) -> Iterator[str | None]:
    if not SERVICES:
        yield None
        return
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    yield PG_URL


@pytest.fixture
def database_url(tmp_path: Path, _pg_schema: str | None) -> Iterator[str]:
    if _pg_schema is None:
        url = f"sqlite:///{tmp_path / 'kaona.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    engine = make_engine(_pg_schema)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield _pg_schema


@pytest.fixture
def redis_url(services_available: None) -> str | None:
    if not SERVICES:
        return None
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


@pytest.fixture
def line() -> Iterator[LocalLineServer]:
    with LocalLineServer(access_token=TOKEN) as server:
        yield server


@pytest.fixture
def settings(database_url: str, redis_url: str | None, line: LocalLineServer, tmp_path: Path) -> Settings:
    return Settings(
        channel_secret=SECRET,
        channel_access_token=TOKEN,
        database_url=database_url,
        redis_url=redis_url,
        line_api_base_url=line.url,
        line_read_timeout=5.0,
        push_backoff_base=0.05,
        worker_threads=2,
        files_dir=str(tmp_path / "files"),
    )


# The use cases' "today" in tests: 21 Nov 2026, 10:00 in Bangkok (FY 2570, the sample
# plan's year), running on from there at the real pace so timeouts still pass.
TEST_START = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def fixed_clock() -> Callable[[], datetime]:
    offset = TEST_START - utcnow()
    return lambda: utcnow() + offset


@dataclass
class RunningBot:
    url: str
    services: Services
    world: World
    client: WebhookClient

    @property
    def callback(self) -> str:
        return self.url + "/callback"

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"condition not met within {timeout}s")

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.services.engine.connect() as conn:
            return list(conn.execute(text(statement), params))

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no stored event and no outgoing message is still in flight."""
        self.wait_until(
            lambda: not self.sql(
                "SELECT 1 FROM inbox_events WHERE status IN ('pending','processing') UNION ALL "
                "SELECT 1 FROM outbox WHERE status IN ('pending','sending')"
            ),
            timeout,
        )


@pytest.fixture
def bot_factory(settings: Settings, line: LocalLineServer) -> Iterator[Callable[..., RunningBot]]:
    started: list[tuple[Any, BackgroundServer]] = []

    def start(dispatch: Any = None, **changes: Any) -> RunningBot:
        bot_settings = settings.with_(**changes) if changes else settings
        extra = {"dispatch": dispatch} if dispatch is not None else {}
        services = build_services(bot_settings, clock=fixed_clock())
        app = start_worker(create_app(bot_settings, services=services, **extra))
        server = BackgroundServer(app).start()
        started.append((app, server))
        client = WebhookClient(server.url + "/callback", bot_settings.channel_secret, world=line.world)
        return RunningBot(server.url, app.extensions["kaona"].services, line.world, client)

    yield start
    for app, server in reversed(started):
        server.stop()
        shutdown(app)


@pytest.fixture
def bot(bot_factory: Callable[..., RunningBot]) -> RunningBot:
    return bot_factory()

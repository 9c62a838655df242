"""Settings: one frozen dataclass, built from the environment and validated at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plans.errors import ConfigError

ExpiredReplyPolicy = Literal["push", "drop"]
WorkerMode = Literal["thread", "external"]

DEFAULT_DATA_DIR = Path("data")


@dataclass(frozen=True)
class Settings:
    channel_secret: str
    channel_access_token: str
    database_url: str
    line_api_base_url: str | None = None
    redis_url: str | None = None
    timezone: str = "Asia/Bangkok"
    port: int = 8000
    demo: bool = False
    # Processing of stored events: a thread inside the web process, or a separate worker.
    worker_mode: WorkerMode = "thread"
    worker_threads: int = 4
    # Threads that only wait on LINE: replies and pushes in flight at once.
    delivery_threads: int = 200
    max_attempts: int = 5
    # What to do when a reply token has expired before the worker used it.
    expired_reply_policy: ExpiredReplyPolicy = "push"
    line_connect_timeout: float = 3.0
    line_read_timeout: float = 10.0
    # A push failing transiently is tried again later (scheduled in its outbox row,
    # never slept on): at most this many more times, after base * 2**n seconds.
    push_max_retries: int = 4
    push_backoff_base: float = 0.5
    max_body_bytes: int = 1024 * 1024
    conversation_ttl_seconds: int = 30 * 60
    # A push left in "sending" this long (its worker died) is tried again, same retry key.
    outbox_stale_seconds: int = 120
    # Percentage points either side of the plan that still count as "on plan".
    plan_tolerance: Decimal = Decimal(0)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_body_text(self) -> str:
        """The body limit as people read it, for messages that quote the setting."""
        limit = self.max_body_bytes
        return f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KiB"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
        env = os.environ if env is None else env
        demo = demo or _flag(env, "KAONA_DEMO")
        secret = env.get("LINE_CHANNEL_SECRET", "").strip()
        token = env.get("LINE_CHANNEL_ACCESS_TOKEN", "").strip()
        if not demo:
            if not secret:
                raise ConfigError("LINE_CHANNEL_SECRET", "is required (the channel secret from the LINE Developers console)")
            if not token:
                raise ConfigError("LINE_CHANNEL_ACCESS_TOKEN", "is required (a long-lived channel access token)")
        base_url = env.get("LINE_API_BASE_URL", "").strip() or None
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigError("LINE_API_BASE_URL", f"must start with http:// or https://, got {base_url!r}")
        database_url = env.get("DATABASE_URL", "").strip() or default_database_url()
        if "://" not in database_url:
            raise ConfigError("DATABASE_URL", f"is not a database URL: {database_url!r}")
        if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
            # Heroku-style URLs: use the psycopg 3 driver we ship.
            database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
        redis_url = env.get("REDIS_URL", "").strip() or None
        if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("REDIS_URL", f"must start with redis://, rediss:// or unix://, got {redis_url!r}")
        timezone = env.get("BOT_TIMEZONE", "").strip() or "Asia/Bangkok"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError("BOT_TIMEZONE", f"is not a known time zone: {timezone!r}") from exc
        policy = env.get("KAONA_EXPIRED_REPLY_POLICY", "push").strip() or "push"
        if policy not in ("push", "drop"):
            raise ConfigError("KAONA_EXPIRED_REPLY_POLICY", f"must be 'push' or 'drop', got {policy!r}")
        worker_mode = env.get("KAONA_WORKER", "thread").strip() or "thread"
        if worker_mode not in ("thread", "external"):
            raise ConfigError("KAONA_WORKER", f"must be 'thread' or 'external', got {worker_mode!r}")
        return cls(
            channel_secret=secret or "demo-channel-secret",
            channel_access_token=token or "local-token",
            database_url=database_url,
            line_api_base_url=base_url,
            redis_url=redis_url,
            timezone=timezone,
            port=_int(env, "PORT", 8000, low=1, high=65535),
            demo=demo,
            worker_mode=worker_mode,  # type: ignore[arg-type]
            worker_threads=_int(env, "KAONA_WORKER_THREADS", 4, low=1, high=64),
            delivery_threads=_int(env, "KAONA_DELIVERY_THREADS", 200, low=1, high=1000),
            max_attempts=_int(env, "KAONA_MAX_ATTEMPTS", 5, low=1, high=100),
            push_max_retries=_int(env, "KAONA_PUSH_RETRIES", 4, low=0, high=20),
            expired_reply_policy=policy,  # type: ignore[arg-type]
            conversation_ttl_seconds=_int(env, "KAONA_CONVERSATION_TTL", 1800, low=10, high=86400),
            outbox_stale_seconds=_int(env, "KAONA_OUTBOX_STALE_SECONDS", 120, low=1, high=86400),
            plan_tolerance=_tolerance(env),
        )


def default_database_url() -> str:
    return f"sqlite:///{(DEFAULT_DATA_DIR / 'kaona.sqlite3').as_posix()}"


def _tolerance(env: Mapping[str, str]) -> Decimal:
    raw = env.get("KAONA_PLAN_TOLERANCE", "").strip()
    try:
        value = Decimal(raw) if raw else Decimal(0)
    except InvalidOperation as exc:
        raise ConfigError("KAONA_PLAN_TOLERANCE", f"must be a number of percentage points, got {raw!r}") from exc
    if not Decimal(0) <= value <= Decimal(50):
        raise ConfigError("KAONA_PLAN_TOLERANCE", f"must be between 0 and 50 percentage points, got {raw}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from exc
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")
    return value

"""Settings: one frozen dataclass, built from the environment and validated at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plans.errors import ConfigError
from plans.schedule import Schedule, parse_days, parse_time

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
    # Threads that wait on LINE for pushes, the sweeper's retries and small look-ups.
    delivery_threads: int = 32
    # Replies of the event path in flight at once, per process, on one asyncio thread.
    replies_in_flight: int = 500
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
    # The web server (bot.webserver): a request must arrive whole within this many seconds;
    # one client address may hold this many connections per web process; all clients this many.
    request_timeout_seconds: int = 10
    connections_per_client: int = 32
    web_connection_limit: int = 1000
    # /healthz answers 503 when an event has waited longer than this (the queue is stuck).
    health_max_pending_seconds: int = 300
    # Inbox and outbox rows in a final state are purged after this many days (storage.retention).
    retention_days: int = 90
    conversation_ttl_seconds: int = 30 * 60
    # A push left in "sending" this long (its worker died) is tried again, same retry key.
    outbox_stale_seconds: int = 120
    # Percentage points either side of the plan that still count as "on plan".
    plan_tolerance: Decimal = Decimal(0)
    # Report attachments: a folder (default data/files), or an S3-compatible bucket.
    files_dir: str | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    max_file_bytes: int = 10 * 1024 * 1024
    # Where the web app is reachable from outside ("https://kaona.example.go.th"): links in
    # exports to report files, and `ส่งออก`'s signed link to the workbook (valid export_link_ttl).
    public_base_url: str | None = None
    export_link_ttl_seconds: int = 24 * 3600
    # The reminder clock's defaults (a project or unit can have its own schedule).
    reminder_day: int = 20
    followup_days: tuple[int, ...] = (23, 25)
    deadline_day: int = 25
    digest_day: int = 26
    reminder_time: time = time(9, 0)
    # Runs missed while the clock was down are caught up within this window, else dropped.
    reminder_grace_hours: int = 48
    # When the day's new reports go to the coordinators who asked for them.
    new_reports_time: time = time(17, 0)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_body_text(self) -> str:
        """The body limit as people read it, for messages that quote the setting."""
        limit = self.max_body_bytes
        return f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KiB"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.reminder_day, self.followup_days, self.deadline_day, self.digest_day,
                        self.reminder_time)  # fmt: skip

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
        public_base_url = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or None
        if public_base_url is not None and not public_base_url.startswith(("http://", "https://")):
            raise ConfigError("PUBLIC_BASE_URL", f"must start with https:// (or http://), got {public_base_url!r}")
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
            delivery_threads=_int(env, "KAONA_DELIVERY_THREADS", 32, low=1, high=1000),
            replies_in_flight=_int(env, "KAONA_REPLIES_IN_FLIGHT", 500, low=1, high=2000),
            max_attempts=_int(env, "KAONA_MAX_ATTEMPTS", 5, low=1, high=100),
            push_max_retries=_int(env, "KAONA_PUSH_RETRIES", 4, low=0, high=20),
            expired_reply_policy=policy,  # type: ignore[arg-type]
            request_timeout_seconds=_int(env, "KAONA_REQUEST_TIMEOUT", 10, low=1, high=600),
            connections_per_client=_int(env, "KAONA_CONNECTIONS_PER_CLIENT", 32, low=1, high=10_000),
            web_connection_limit=_int(env, "KAONA_WEB_CONNECTIONS", 1000, low=10, high=100_000),
            retention_days=_int(env, "KAONA_RETENTION_DAYS", 90, low=32, high=36500),
            health_max_pending_seconds=_int(env, "KAONA_HEALTH_MAX_PENDING_SECONDS", 300, low=5, high=7 * 86400),
            conversation_ttl_seconds=_int(env, "KAONA_CONVERSATION_TTL", 1800, low=10, high=86400),
            outbox_stale_seconds=_int(env, "KAONA_OUTBOX_STALE_SECONDS", 120, low=1, high=86400),
            line_read_timeout=float(_int(env, "KAONA_LINE_READ_TIMEOUT", 10, low=1, high=120)),
            plan_tolerance=_tolerance(env),
            files_dir=env.get("KAONA_FILES_DIR", "").strip() or None,
            s3_bucket=env.get("KAONA_S3_BUCKET", "").strip() or None,
            s3_endpoint_url=env.get("KAONA_S3_ENDPOINT", "").strip() or None,
            max_file_bytes=_int(env, "KAONA_MAX_FILE_MB", 10, low=1, high=100) * 1024 * 1024,
            public_base_url=public_base_url,
            export_link_ttl_seconds=_int(env, "KAONA_EXPORT_LINK_TTL", 24 * 3600, low=60, high=30 * 86400),
            **_schedule(env),  # type: ignore[arg-type]
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


def _schedule(env: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = {
        "reminder_day": _int(env, "KAONA_REMINDER_DAY", 20, low=1, high=31),
        "deadline_day": _int(env, "KAONA_REPORT_DEADLINE_DAY", 25, low=1, high=31),
        "digest_day": _int(env, "KAONA_DIGEST_DAY", 26, low=1, high=31),
        "reminder_grace_hours": _int(env, "KAONA_REMINDER_GRACE_HOURS", 48, low=0, high=24 * 14),
    }
    raw = env.get("KAONA_FOLLOWUP_DAYS", "").strip()
    try:
        out["followup_days"] = parse_days(raw) if raw else (23, 25)
    except ValueError as exc:
        raise ConfigError("KAONA_FOLLOWUP_DAYS", f"must be days of the month like 23,25, got {raw!r}") from exc
    for name, key, default in (("KAONA_REMINDER_TIME", "reminder_time", time(9, 0)),
                               ("KAONA_NEW_REPORTS_TIME", "new_reports_time", time(17, 0))):  # fmt: skip
        raw = env.get(name, "").strip()
        try:
            out[key] = parse_time(raw) if raw else default
        except ValueError as exc:
            raise ConfigError(name, f"must be a time like 09:00, got {raw!r}") from exc
    schedule = Schedule(out["reminder_day"], out["followup_days"], out["deadline_day"],  # type: ignore[arg-type]
                        out["digest_day"], out["reminder_time"])  # type: ignore[arg-type]  # fmt: skip
    problems = schedule.problems()
    if problems:
        raise ConfigError("KAONA_REMINDER_DAY", "; ".join(problems))
    return out


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

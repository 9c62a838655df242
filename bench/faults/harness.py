"""One fault run: private databases, the LINE stand-in, the Procfile's processes, the
load, something going wrong in the middle of it, then the audit."""

from __future__ import annotations

import logging
import math
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.faults import load
from bench.faults.audit import Audit, audit
from bench.faults.stack import (
    ROOT,
    Balancer,
    PrivatePostgres,
    PrivateRedis,
    Proc,
    free_port,
    migrate,
    wait_healthy,
)
from bot.localline import LocalLineServer
from bot.services import Services, build_services
from bot.settings import Settings
from plans.schedule import WorkingDays

SECRET = "faults-channel-secret"
TOKEN = "local-token"
TZ = ZoneInfo("Asia/Bangkok")


@dataclass
class Size:
    """How big a run is: the full script, or the CI smoke version."""

    people: int = 40  # report conversations, each in a group of its own
    bursts: int = 10  # people typing five commands in a row
    reminder_groups: int = 60
    answer_timeout: float = 90.0  # a person waits this long for an answer, then gives up
    think: float = 0.3


SMOKE = Size(people=6, bursts=3, reminder_groups=8, answer_timeout=75.0, think=0.1)


def reminder_env(now: datetime) -> dict[str, str] | None:
    """A schedule under which this month's reminder is due right now (the latest
    working day up to today, 00:00), with the grace window just covering it."""
    local = now.astimezone(TZ)
    days = WorkingDays()
    for day in range(local.day, 0, -1):
        moved = days.on_or_after(date(local.year, local.month, day))
        if moved <= local.date():
            due = datetime.combine(moved, datetime.min.time(), tzinfo=TZ)
            grace = math.ceil((now - due).total_seconds() / 3600) + 2
            return {"KAONA_REMINDER_DAY": str(day), "KAONA_FOLLOWUP_DAYS": "-",
                    "KAONA_REPORT_DEADLINE_DAY": str(day), "KAONA_DIGEST_DAY": str(day),
                    "KAONA_REMINDER_TIME": "00:00", "KAONA_REMINDER_GRACE_HOURS": str(min(grace, 336))}  # fmt: skip
    return None


@dataclass
class Run:
    """A running stack. ``with Run(...) as run: run.load(chaos); print(run.audit())``."""

    name: str
    size: Size = field(default_factory=Size)
    webs: int = 1
    workers: int = 1
    clocks: int = 1
    web_worker: str = "external"  # KAONA_WORKER of the web process
    env_extra: dict[str, str] = field(default_factory=dict)
    reminders: bool = True
    keep: bool = field(default_factory=lambda: bool(os.environ.get("KAONA_FAULTS_KEEP")))  # keep the logs

    def __post_init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"kaona-{self.name}-"))
        self.folder.chmod(0o755)  # PostgreSQL runs as its own user, inside this folder
        self.pg = PrivatePostgres(self.folder / "pg")
        self.redis = PrivateRedis(self.folder / "redis")
        self.line = LocalLineServer(access_token=TOKEN, quota=None, rate_limit=None)
        self.procs: list[Proc] = []
        self.balancer: Balancer | None = None
        self.conversations: list[load.Conversation] = []
        self.reminder_chats: list[str] = []
        self.log = logging.getLogger(f"faults.{self.name}")
        self.events: list[str] = []  # what the chaos did, with times
        self.started = time.monotonic()

    # -- bringing it up -------------------------------------------------------------
    def __enter__(self) -> Run:
        try:
            self.up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        if exc is not None:
            self.keep = True
        self.close()

    def note(self, what: str) -> None:
        self.events.append(f"{time.monotonic() - self.started:6.1f}s {what}")
        print(f"  [{self.name}] {self.events[-1]}", flush=True)

    def up(self) -> None:
        self.pg.init()
        self.redis.start()
        self.line.start()
        schedule = reminder_env(datetime.now(TZ)) if self.reminders else None
        if self.reminders and schedule is None:
            self.note("no working day yet this month: the reminder run is left out today")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KAONA_", "LINE_", "DATABASE_", "REDIS_"))},
            "DATABASE_URL": self.pg.url(), "REDIS_URL": self.redis.url(), "LINE_API_BASE_URL": self.line.url,
            "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LOG_LEVEL": "INFO",
            "KAONA_OUTBOX_STALE_SECONDS": "5", "KAONA_LINE_READ_TIMEOUT": "3", "KAONA_PUSH_RETRIES": "8",
            "KAONA_FILES_DIR": str(self.folder / "files"), "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT),
            **(schedule or {}), **self.env_extra,
        }  # fmt: skip
        migrate(self.env, self.folder / "release.log")
        # The processes boot while the office is set up (they need only the schema).
        web_ports = [free_port() for _ in range(self.webs)]
        for n, port in enumerate(web_ports):
            self.procs.append(self._proc("web", n, {"PORT": str(port), "KAONA_WORKER": self.web_worker}))
        for n in range(self.workers):
            self.procs.append(self._proc("worker", n, {"KAONA_WORKER": "external"}))
        self.settings = Settings.from_env(self.env)
        self.services: Services = build_services(self.settings)
        world = self.line.world
        self.talkers, self.typers = load.set_up_conversations(self.services, world, self.size.people, self.size.bursts)
        if schedule is not None:
            from scheduler import runs

            # The conversation groups are reminded now, before the load: a reminder push
            # arriving in one mid-conversation would read as the answer to a turn.
            runs.run(self.services, self.services.clock(), kinds=("remind",))
            self.reminder_chats = load.set_up_reminder_groups(self.services, world, self.size.reminder_groups)
        for port in web_ports:
            wait_healthy(f"http://127.0.0.1:{port}")
        if self.webs > 1:
            self.balancer = Balancer(web_ports).start()
            self.bot_url = f"http://127.0.0.1:{self.balancer.port}"
        else:
            self.bot_url = f"http://127.0.0.1:{web_ports[0]}"
        self.sender = load.LineSender(self.bot_url + "/callback", SECRET, world)
        self.note(f"up: {self.webs} web, {self.workers} worker(s), {self.clocks} clock(s) on a private "
                  f"PostgreSQL :{self.pg.port} and Redis :{self.redis.port}")  # fmt: skip

    def _proc(self, kind: str, n: int, extra: dict[str, str]) -> Proc:
        proc = Proc(kind, {**self.env, **extra}, self.folder / f"{kind}{n}.log", name=f"{kind}{n}")
        return proc.start()

    def start_clocks(self) -> None:
        for n in range(self.clocks):
            self.procs.append(self._proc("clock", n, {"KAONA_WORKER": "external"}))

    def of(self, kind: str) -> list[Proc]:
        return [p for p in self.procs if p.kind == kind]

    # -- the load -----------------------------------------------------------------
    def load(self, chaos: Callable[[Run, threading.Event], None] | None = None) -> float:
        """All conversations and bursts at once, ``chaos`` running beside them until
        they end; returns the seconds the load took."""
        done = threading.Event()
        size = self.size
        started = time.monotonic()
        self.start_clocks()
        chaos_thread = None
        if chaos is not None:
            chaos_thread = threading.Thread(target=chaos, args=(self, done), name="chaos", daemon=True)
            chaos_thread.start()
        with ThreadPoolExecutor(max(4, len(self.talkers) + len(self.typers))) as pool:
            talks = [pool.submit(load.converse, self.sender, user, chat, answer_timeout=size.answer_timeout,
                                 think=size.think) for user, chat in self.talkers]  # fmt: skip
            typed = [pool.submit(load.burst, self.sender, user, chat) for user, chat in self.typers]
            self.conversations = [f.result() for f in talks]
            for f in typed:
                f.result()
        done.set()
        if chaos_thread is not None:
            chaos_thread.join(120)
        return time.monotonic() - started

    def settle(self, timeout: float = 90.0) -> bool:
        """Wait until nothing is pending in the inbox or the outbox, LINE is carrying out
        no request (a reply whose answer timed out may still be delivered), and each
        reminder group had its push (or the time runs out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with self.services.engine.connect() as conn:
                    busy = conn.execute(text(
                        "SELECT (SELECT count(*) FROM inbox_events WHERE status IN ('pending','processing'))"
                        " + (SELECT count(*) FROM outbox WHERE status IN ('pending','sending'))")).scalar_one()
            except Exception:  # noqa: BLE001 - the database may be coming back
                busy = 1
            reminded = {d.to for d in self.line.world.deliveries("push")}
            if not busy and not self.line.world.in_flight() and all(c in reminded for c in self.reminder_chats):
                return True
            time.sleep(0.5)
        return False

    def audit(self, *, restarts_allowed: bool = True) -> Audit:
        restarted = None if restarts_allowed else sum(p.restarts for p in self.procs)
        result = audit(self.services.engine, self.line.world, self.sender.sent, self.conversations,
                       self.reminder_chats, processes_restarted=restarted)  # fmt: skip
        dead = [p.name for p in self.procs if not p.alive()]
        result.expect("processes dead at the end", len(dead))
        tracebacks = sum(p.log_text().count("Traceback") for p in self.procs)
        result.counts["tracebacks in the logs"] = tracebacks
        return result

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()
        if self.balancer is not None:
            self.balancer.stop()
        services = getattr(self, "services", None)
        if services is not None:
            services.close()
        self.line.stop()
        self.redis.stop()
        self.pg.stop("immediate")
        if self.keep:
            print(f"  [{self.name}] logs kept in {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def random_moments(rng: random.Random, count: int, within: float) -> list[float]:
    return sorted(rng.uniform(0.5, within) for _ in range(count))


def after(seconds: float) -> datetime:
    return datetime.now(TZ) + timedelta(seconds=seconds)

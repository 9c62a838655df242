"""The five fault runs. Each returns a ``Report``: counts, PASS/FAIL, what the chaos did."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.faults.audit import Audit
from bench.faults.harness import SMOKE, Run, Size


@dataclass
class Report:
    name: str
    audit: Audit
    seconds: float
    chaos: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.audit.ok

    def text(self) -> str:
        head = f"{self.name}: {'PASS' if self.ok else 'FAIL'} (load {self.seconds:.1f} s)"
        lines = [head, *self.audit.lines()]
        lines += [f"  {k}: {v}" for k, v in self.extra.items()]
        lines += [f"  chaos {e}" for e in self.chaos]
        return "\n".join(lines)


def _size(smoke: bool) -> Size:
    return SMOKE if smoke else Size()


def _finish(run: Run, name: str, seconds: float, *, restarts_allowed: bool, settle: float = 120.0) -> Report:
    settled = run.settle(settle)
    audit = run.audit(restarts_allowed=restarts_allowed)
    audit.expect("settled (nothing left in flight)", int(settled), 1)
    return Report(name, audit, seconds, run.events)


def _mid_conversation(run: Run) -> bool:
    """Whether the people reporting are three turns in, on average (drafts exist)."""
    turns = sum(1 for s in run.sender.sent if s.user.startswith("Ufault"))
    return turns >= 3 * len(run.talkers)


def _wait_for(predicate: Callable[[], bool], done: threading.Event, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done.is_set():
        if predicate():
            return True
        time.sleep(0.05)
    return False


# -- 1. kill -9 ----------------------------------------------------------------------
def kill9(smoke: bool = False, seed: int = 1) -> Report:
    """kill -9 of the web, a gunicorn worker, the worker and the clock at random moments
    during the conversations and the reminder run; each killed process is started again
    (as the platform does), nothing else is touched."""
    rng = random.Random(seed)
    # Smoke: no `kaona worker` kill (an event it held waits out its 60 s lease).
    victims = ["web", "web-worker", "web"] if smoke else ["web-worker", "worker", "web", "worker", "web-worker", "web"]

    def kill(run: Run, victim: str) -> None:
        if victim == "web-worker":
            web = run.of("web")[0]
            children = web.children()
            if children:
                os.kill(rng.choice(children), signal.SIGKILL)  # gunicorn's master starts another
                run.note(f"kill -9 one gunicorn worker of {web.name}")
            return
        proc = rng.choice(run.of(victim))
        proc.kill9()
        run.note(f"kill -9 {proc.name} (its whole process group)")
        time.sleep(rng.uniform(0.2, 1.0))
        proc.start()
        proc.restarts += 1
        run.note(f"{proc.name} started again")

    def clock_chaos(run: Run, done: threading.Event) -> None:
        world = run.line.world
        # The clock is killed while its reminder run is half way through, twice.
        def reminded() -> int:
            return sum(1 for d in world.deliveries("push") if d.to.startswith("Cremind"))

        for _ in range(2):
            wanted = reminded() + 1
            if reminded() < len(run.reminder_chats) and _wait_for(lambda w=wanted: reminded() >= w, threading.Event(), 60):
                kill(run, "clock")

    def chaos(run: Run, done: threading.Event) -> None:
        clock = threading.Thread(target=clock_chaos, args=(run, done), daemon=True)
        clock.start()
        for victim in victims:
            time.sleep(rng.uniform(0.5, 1.5) if smoke else rng.uniform(1.0, 4.0))
            if done.is_set():
                break
            kill(run, victim)
        clock.join(90)

    size = Size(people=6, bursts=3, reminder_groups=16, answer_timeout=75.0, think=0.5) if smoke else Size()
    with Run("kill9", size, web_worker="external" if smoke else "thread") as run:
        # LINE slow for pushes, so that the clock's run lasts long enough to be cut.
        run.line.world.inject_fault("/v2/bot/message/push", latency=0.5, times=-1)
        seconds = run.load(chaos)
        # A worker killed mid-event leaves its claim until the lease (60 s) runs out.
        report = _finish(run, "kill9", seconds, restarts_allowed=True, settle=60 if smoke else 150)
    return report


# -- 2. PostgreSQL restarted -----------------------------------------------------------
def pg_restart(smoke: bool = False, seed: int = 2) -> Report:
    down_for = 4.0 if smoke else 12.0

    def chaos(run: Run, done: threading.Event) -> None:
        _wait_for(lambda: _mid_conversation(run), done, 60)
        run.pg.stop("fast")
        run.note(f"PostgreSQL stopped (fast: connections cut) for {down_for:.0f} s")
        time.sleep(down_for)
        run.pg.start()
        run.note("PostgreSQL started again")

    with Run("pg-restart", _size(smoke)) as run:
        seconds = run.load(chaos)
        report = _finish(run, "pg-restart", seconds, restarts_allowed=False)
    return report


# -- 3. Redis stopped and started ------------------------------------------------------
def redis_restart(smoke: bool = False, seed: int = 3) -> Report:
    down_for = 5.0 if smoke else 15.0

    def chaos(run: Run, done: threading.Event) -> None:
        _wait_for(lambda: _mid_conversation(run), done, 60)
        run.redis.stop()
        run.note(f"Redis stopped for {down_for:.0f} s (started again empty: --save '')")
        time.sleep(down_for)
        run.redis.start()
        run.note("Redis started again")

    with Run("redis-restart", _size(smoke)) as run:
        seconds = run.load(chaos)
        report = _finish(run, "redis-restart", seconds, restarts_allowed=False)
    return report


def outages(smoke: bool = True, seed: int = 6) -> Report:
    """The CI smoke of 2 and 3 in one stack: PostgreSQL restarted, then Redis."""
    def chaos(run: Run, done: threading.Event) -> None:
        _wait_for(lambda: _mid_conversation(run), done, 60)
        run.pg.stop("fast")
        run.note("PostgreSQL stopped (fast) for 4 s")
        time.sleep(4)
        run.pg.start()
        run.note("PostgreSQL started again")
        time.sleep(2)
        run.redis.stop()
        run.note("Redis stopped for 5 s")
        time.sleep(5)
        run.redis.start()
        run.note("Redis started again (empty)")

    with Run("outages", Size(people=6, bursts=3, reminder_groups=8, answer_timeout=75.0, think=0.6)) as run:
        seconds = run.load(chaos)
        report = _finish(run, "outages", seconds, restarts_allowed=False)
    return report


# -- 4. LINE failing and slow ----------------------------------------------------------
def line_faults(smoke: bool = False, seed: int = 4) -> list[Report]:
    """20% of LINE's answers to replies and pushes are 500, 429 or a timeout (the call
    reaches LINE, the answer comes after the bot's 3 s read timeout); then, in a second
    run, every call to LINE takes 2 s."""
    reports = []
    with Run("line-faults-20%", _size(smoke)) as run:
        run.line.world.inject_random_faults("/v2/bot/message/", rate=0.2, outcomes=(500, 429, "timeout"),
                                            latency=4.0, seed=seed)  # fmt: skip
        seconds = run.load()
        reports.append(_finish(run, "line-faults-20%", seconds, restarts_allowed=False))
    if smoke:
        return reports
    with Run("line-slow-2s", _size(smoke)) as run:
        run.line.world.inject_fault("/v2/bot/", latency=2.0, times=-1)
        seconds = run.load()
        reports.append(_finish(run, "line-slow-2s", seconds, restarts_allowed=False))
    return reports


# -- 5. scale-out ----------------------------------------------------------------------
def scale_out(smoke: bool = False, seed: int = 5) -> Report:
    """Two web processes behind one local port, two workers, and two clocks by mistake."""
    size = _size(smoke)
    size = Size(people=size.people, bursts=size.bursts * 2, reminder_groups=size.reminder_groups,
                answer_timeout=size.answer_timeout, think=size.think)  # fmt: skip
    with Run("scale-out", size, webs=2, workers=2, clocks=2) as run:
        seconds = run.load()
        report = _finish(run, "scale-out", seconds, restarts_allowed=False)
        assert run.balancer is not None
        report.extra["connections per web"] = str(run.balancer.connections)
    return report


SCENARIOS: dict[str, Callable[..., Report | list[Report]]] = {
    "kill9": kill9,
    "pg-restart": pg_restart,
    "redis-restart": redis_restart,
    "line-faults": line_faults,
    "scale-out": scale_out,
    "outages": outages,
}

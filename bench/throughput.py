"""Benchmark: Kaona against a bot that replies inside the request, in one run, side by side.

Both run as the Procfile runs the web process (gunicorn, 2 workers x 8 threads; Kaona
with its Procfile ``web:`` line, the reference as ``bench.reference_bot``), both
against the local LINE-compatible server in this process, both fed signed
``ช่วยเหลือ`` text events from 500 different users, on loopback only:

  (a) 100 events/s for 10 s, LINE answering at once
  (b) as fast as 32 concurrent senders go, for 10 s
  (c) 200 events/s for 10 s, every LINE call taking 2 s
  (d) Kaona only: a coordinator's ``สรุป`` over 10,000 projects while 20 events/s arrive

For each: events/s acknowledged, ack p50/p99, event -> reply at LINE p50/p95, the time
from the end of the load to the last reply, replies turned into pushes, webhook
errors (non-200 or no answer within 5 s), events never answered, peak RSS per process.

    .venv/bin/python -m bench.throughput                  # Kaona on SQLite
    .venv/bin/python -m bench.throughput --services       # Kaona on PostgreSQL + Redis
    .venv/bin/python -m bench.throughput --only a,c --seconds 5
    .venv/bin/python -m bench.throughput --only b --pairs 3   # (b) three more times, in pairs

The machine is shared: the reference's (b) alone moved from 472 to 862 replies/s from
one hour to the next. ``--pairs N`` runs (b) N more times, the reference and then Kaona
back to back, and prints each pair's ratio and their median.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import logging
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import PG, REDIS, fresh_backend, ms
from bot.localline import LocalLineServer, World, text_event, user_source
from bot.localline.webhook import sign, webhook_body

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
TOKEN = "local-token"

def _free_port() -> int:
    """A port nobody listens on now (other benchmarks may run on this machine at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


LINE_THREADS = 600  # (c): 200 calls a second held 2 s each, 400 at once, with room
LINE_PORT, REFERENCE_PORT, KAONA_PORT = _free_port(), _free_port(), _free_port()
USERS = [f"U{n:032x}" for n in range(1, 501)]
COORDINATOR = "U" + "c" * 32
PROJECTS = 10_000
ACK_TIMEOUT = 5.0


@dataclass
class Sent:
    token: str
    user: str
    at: float  # wall clock, when the request went out
    ack: float  # seconds until the answer (or the timeout)
    error: str = ""  # what went wrong: the status, or the exception's class; "" for a 200

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class Figures:
    label: str
    sent: list[Sent]
    load_seconds: float
    replies: dict[str, float] = field(default_factory=dict)  # token -> when LINE took the reply
    pushes: int = 0
    last_after_load: float | None = None
    rss: dict[str, float] = field(default_factory=dict)
    cpu: float = 0.0  # CPU seconds the bot's processes used, from the load's start to the last reply
    bench_cpu: float = 0.0  # CPU seconds of this process (load generator + LINE server) meanwhile
    note: str = ""

    def reply_rate(self) -> float:
        """Replies per second from the first event sent to the last reply taken by LINE."""
        if not self.replies or not self.sent:
            return 0.0
        span = max(self.replies.values()) - min(s.at for s in self.sent)
        return len(self.replies) / max(span, self.load_seconds)

    def row(self) -> dict[str, str]:
        acks = sorted(s.ack for s in self.sent if s.ok)
        ok = [s for s in self.sent if s.ok]
        waits = sorted(self.replies[s.token] - s.at for s in ok if s.token in self.replies)
        unanswered = len(ok) - len(waits) - self.pushes
        rss = ", ".join(f"{name} {mb:.0f}" for name, mb in self.rss.items())
        return {
            "events sent": f"{len(self.sent)}",
            "acknowledged events/s": f"{len(ok) / self.load_seconds:,.0f}",
            "ack p50 / p99 (ms)": f"{ms(acks, 0.5)} / {ms(acks, 0.99)}" if acks else "-",
            "ack max (ms)": f"{acks[-1] * 1000:.0f}" if acks else "-",
            "event -> reply p50 / p95 (ms)": f"{ms(waits, 0.5)} / {ms(waits, 0.95)}" if waits else "-",
            "replies delivered/s": f"{self.reply_rate():,.0f}",
            "last reply after load (s)": "-" if self.last_after_load is None else f"{self.last_after_load:.1f}",
            "replies turned into pushes": f"{self.pushes}",
            "webhook errors": _errors(self.sent),
            "never answered": f"{max(0, unanswered)}",
            "bot CPU ms per event": f"{1000 * self.cpu / max(1, len(ok)):.1f}",
            "bench process CPU (cores)": f"{self.bench_cpu / max(self.load_seconds, 1e-9):.2f}",
            "peak RSS MB": rss,
        }


def _errors(sent: list[Sent]) -> str:
    kinds = Counter(s.error for s in sent if not s.ok)
    return f"{sum(kinds.values())}" + (f" ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})" if kinds else "")


class Load:
    """Signed events posted over keep-alive connections, one per sender thread."""

    def __init__(self, port: int, world: World) -> None:
        self._port = port
        self._world = world
        self._local = threading.local()
        self._next = 0
        self._lock = threading.Lock()

    def post(self, text: str = "ช่วยเหลือ", user: str | None = None) -> Sent:
        with self._lock:
            user = user or USERS[self._next % len(USERS)]
            self._next += 1
        source = user_source(user)
        at = time.time()
        token = self._world.issue_reply_token(source)
        body = webhook_body([text_event(source, text, reply_token=token)], "Ubot" + "0" * 29)
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)}
        started = time.perf_counter()
        try:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=ACK_TIMEOUT)
            conn.request("POST", "/callback", body, headers)
            response = conn.getresponse()
            response.read()
            error = "" if response.status == 200 else f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            self._local.conn = None
            error = type(exc).__name__
        return Sent(token, user, at, time.perf_counter() - started, error)

    def at_rate(self, rate: float, seconds: float, *, threads: int, extra: Callable[[float], None] | None = None) -> tuple[list[Sent], float]:
        """Open loop: one event every 1/rate s, whatever the answers take."""
        count = int(rate * seconds)
        with ThreadPoolExecutor(threads) as pool:
            start = time.perf_counter()
            futures = []
            for n in range(count):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                if extra is not None:
                    extra(time.perf_counter() - start)
                futures.append(pool.submit(self.post))
            sent = [f.result() for f in futures]
        return sent, time.perf_counter() - start

    def as_fast(self, seconds: float, *, concurrency: int) -> tuple[list[Sent], float]:
        sent: list[Sent] = []
        start = time.perf_counter()

        def run() -> None:
            while time.perf_counter() - start < seconds:
                result = self.post()
                with self._lock:
                    sent.append(result)

        threads = [threading.Thread(target=run) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sent, time.perf_counter() - start


class Gunicorn:
    """A bot under gunicorn on loopback; its peak RSS per process from /proc."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self._log = log.open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=self._log)

    def wait_ready(self, port: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}; see its log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                if len(self.workers()) >= 2:
                    time.sleep(1.0)  # the second worker finishes importing
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start within {timeout}s")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def peak_rss(self) -> dict[str, float]:
        out = {}
        for n, pid in enumerate([self.process.pid, *self.workers()]):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
            out["master" if n == 0 else f"worker{n}"] = kb / 1024
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its workers so far (noise on a shared
        machine changes the latencies, much less the CPU an event costs)."""
        total = 0
        for pid in [self.process.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._log.close()


def web_command(port: int) -> list[str]:
    """The Procfile's web: line, bound to loopback, with this virtualenv's gunicorn."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(port)))
    words = [w.replace("0.0.0.0:", "127.0.0.1:") for w in words]
    words[0] = str(Path(sys.executable).parent / words[0])
    return words


def collect(world: World, figures: Figures, after: int, load_end: float, wait: float) -> None:
    """Wait until every acknowledged event was answered (or ``wait`` s passed)."""
    tokens = {s.token for s in figures.sent if s.ok}
    users = {s.user for s in figures.sent if s.ok}
    deadline = time.time() + wait
    while True:
        found = world.deliveries(after=after)
        replies = {d.reply_token: d.at for d in found if d.kind == "reply" and d.reply_token in tokens}
        pushes = [d for d in found if d.kind == "push" and d.to in users]
        if len(replies) + len(pushes) >= len(tokens) or time.time() > deadline:
            break
        time.sleep(0.1)
    figures.replies, figures.pushes = replies, len(pushes)
    last = max([*replies.values(), *(d.at for d in pushes)], default=None)
    figures.last_after_load = None if last is None else max(0.0, last - load_end)
    if len(replies) + len(pushes) < len(tokens):
        figures.note = f"gave up waiting after {wait:.0f} s"


@contextmanager
def steady() -> Iterator[None]:
    """This process (the load generator, the LINE server) without pauses of its own
    while a load runs: the garbage collector is off, and what the run left is
    collected after. A full collection of what earlier runs gathered here (their
    events, LINE's log) held every thread of this process 120-150 ms in the middle of
    a load, and the bots' acknowledgements it was timing then counted it as theirs."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def scenario(key: str, bot: Gunicorn, port: int, line: LocalLineServer, seconds: float) -> Figures:
    world = line.world
    load = Load(port, world)
    after = max([d.id for d in world.deliveries()], default=0)
    labels = {"a": "(a) 100/s, fast LINE", "b": "(b) max rate, fast LINE", "c": "(c) 200/s, LINE 2 s per call"}
    if key == "c":
        world.inject_fault("/v2/bot/", latency=2.0, times=-1)
    cpu_before, bench_before = bot.cpu_seconds(), time.process_time()
    try:
        with steady():  # the load, and the replies that follow it
            if key == "a":
                sent, took = load.at_rate(100, seconds, threads=64)
            elif key == "b":
                sent, took = load.as_fast(seconds, concurrency=32)
            else:
                sent, took = load.at_rate(200, seconds, threads=400)
            load_end = time.time()
            figures = Figures(labels[key], sent, took, bench_cpu=time.process_time() - bench_before)
            collect(world, figures, after, load_end, wait=90.0)
        figures.cpu = bot.cpu_seconds() - cpu_before
    finally:
        world.clear_faults()
    figures.rss = bot.peak_rss()
    return figures


def long_case(bot: Gunicorn, port: int, line: LocalLineServer, seconds: float) -> tuple[Figures, list[float]]:
    """(d) three สรุป by a coordinator of 10,000 projects while 20 events/s arrive."""
    world = line.world
    load = Load(port, world)
    summaries: list[Sent] = []
    asked: list[float] = []
    after = max([d.id for d in world.deliveries()], default=0)

    def ask(elapsed: float) -> None:
        if len(asked) < 3 and elapsed >= len(asked) * seconds / 3:
            asked.append(elapsed)
            threading.Thread(target=lambda: summaries.append(load.post("สรุป", COORDINATOR))).start()

    cpu_before = bot.cpu_seconds()
    with steady():
        sent, took = load.at_rate(20, seconds, threads=64, extra=ask)
        deadline = time.time() + 30
        while len(summaries) < len(asked) and time.time() < deadline:
            time.sleep(0.05)
        figures = Figures("(d) สรุป of 10,000 projects + 20/s", sent + summaries, took)
        collect(world, figures, after, time.time(), wait=120.0)
    figures.cpu = bot.cpu_seconds() - cpu_before
    taken = sorted(figures.replies[s.token] - s.at for s in summaries if s.token in figures.replies)
    figures.rss = bot.peak_rss()
    return figures, taken


def prepare(database_url: str, *, long_case: bool) -> float:
    """The release phase (`kaona migrate`), and for (d) 10,000 projects of one unit and
    its coordinator, stored before Kaona starts."""
    from bench.plan_import import step_table
    from handlers.plans import import_plan
    from storage import access
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.plans import find_unit

    started = time.perf_counter()
    engine = make_engine(database_url)
    upgrade(engine)
    if not long_case:
        engine.dispose()
        return 0.0
    sessions = make_session_factory(engine)
    result = import_plan(sessions, step_table(PROJECTS).encode(), "plan.txt", unit="สำนักงานเขตทดสอบ")
    if any(p.status == "rejected" for p in result.projects):
        raise SystemExit("the benchmark plan was rejected")
    with sessions() as session, session.begin():
        unit = find_unit(session, "สำนักงานเขตทดสอบ")
        assert unit is not None
        access.add_coordinator(session, COORDINATOR, unit.id)
    engine.dispose()
    return time.perf_counter() - started


def print_table(title: str, columns: list[str], rows: list[dict[str, str]], notes: list[str]) -> None:
    keys = list(rows[0])
    width = max(len(k) for k in keys)
    col = max(24, *(len(c) for c in columns))
    print(f"\n{title}")
    print(" " * width + "  " + "  ".join(c.ljust(col) for c in columns))
    for key in keys:
        print(key.ljust(width) + "  " + "  ".join(r.get(key, "").ljust(col) for r in rows))
    for note in notes:
        if note:
            print("  note:", note)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", action="store_true", help="Kaona on PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--pg", default=os.environ.get("KAONA_BENCH_PG_URL", PG), help="PostgreSQL URL (emptied!)")
    parser.add_argument("--redis", default=os.environ.get("KAONA_BENCH_REDIS_URL", REDIS), help="Redis URL (flushed!)")
    parser.add_argument("--only", default="a,b,c,d", help="which scenarios, e.g. a,c")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--pairs", type=int, default=0,
                        help="then N more runs of (b), the reference and Kaona back to back, each pair's ratio")  # fmt: skip
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" while LINE is slowed
    keys = [k for k in args.only.split(",") if k in "abcd"]

    load_before = os.getloadavg()
    # Connections kept alive, as LINE's API does; enough threads for (c)'s calls held 2 s each.
    line = LocalLineServer(access_token=TOKEN, quota=None, port=LINE_PORT, threads=LINE_THREADS).start()
    for user in [*USERS, COORDINATOR]:
        line.world.add_user(user, f"ผู้ใช้ {user[-4:]}")
    tmp = tempfile.TemporaryDirectory()
    logs = Path(tmp.name)
    base_env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                "LINE_API_BASE_URL": line.url, "LOG_LEVEL": "WARNING"}  # fmt: skip
    results: dict[str, dict[str, Figures]] = {}

    def reference_bot() -> tuple[Gunicorn, int]:
        command = web_command(REFERENCE_PORT)[:-1] + ["bench.reference_bot:app"]
        bot = Gunicorn("reference", command, {**base_env, "PYTHONPATH": str(ROOT)}, logs / "reference.log")
        _wait_tcp(REFERENCE_PORT, bot)
        return bot, REFERENCE_PORT

    if not args.no_reference:
        for key in [k for k in keys if k != "d"]:
            bot, port = reference_bot()
            try:
                results.setdefault(key, {})["reference"] = scenario(key, bot, port, line, args.seconds)
            finally:
                bot.stop()

    database_url, redis_url, backend = fresh_backend(args.services, tmp.name, pg=args.pg, redis=args.redis)
    prepared = prepare(database_url, long_case="d" in keys)
    env = {**base_env, "DATABASE_URL": database_url}
    if redis_url:
        env["REDIS_URL"] = redis_url
    kaona = f"Kaona, {backend}"
    summaries: list[float] = []
    warmed = False

    def kaona_bot() -> tuple[Gunicorn, int]:
        nonlocal warmed
        bot = Gunicorn("kaona", web_command(KAONA_PORT), env, logs / "kaona.log")
        bot.wait_ready(KAONA_PORT)
        if not warmed:  # everyone has written before: returning users, as in the issue's measurement
            warmed = True
            Load(KAONA_PORT, line.world).at_rate(100, len(USERS) / 100, threads=32)
            time.sleep(3)
        return bot, KAONA_PORT

    for key in keys:
        bot, _ = kaona_bot()
        try:
            if key == "d":
                figures, summaries = long_case(bot, KAONA_PORT, line, args.seconds)
            else:
                figures = scenario(key, bot, KAONA_PORT, line, args.seconds)
            results.setdefault(key, {})[kaona] = figures
        finally:
            bot.stop()

    paired = [(run_b(reference_bot, line, args.seconds), run_b(kaona_bot, line, args.seconds)) for _ in range(args.pairs)]

    print(f"\nbench.throughput: 500 users, 'ช่วยเหลือ', {args.seconds:.0f} s per load, gunicorn 2 workers x 8 threads,"
          f" local LINE server on {line.url}; Kaona on {backend}")
    print(f"machine: {os.cpu_count()} cores; load average (1 min) {load_before[0]:.1f} before the run, "
          f"{os.getloadavg()[0]:.1f} after (other processes share the cores)")
    for key in keys:
        by = results.get(key, {})
        columns = [c for c in ("reference", kaona) if c in by]
        title = next(iter(by.values())).label
        print_table(title, columns, [by[c].row() for c in columns], [f"{c}: {by[c].note}" for c in columns if by[c].note])
        if key == "d":
            acks = [s.ack for s in by[kaona].sent]
            print(f"  acknowledgements over 2 s: {sum(1 for a in acks if a > 2.0)} of {len(acks)}; "
                  f"สรุป answered after: {', '.join(f'{t:.2f} s' for t in summaries) or 'never'}"
                  f" (10,000 projects stored in {prepared:.0f} s before the run)")
    if paired:
        rates = [(r.reply_rate(), k.reply_rate()) for r, k in paired]
        ratios = [k / r for r, k in rates if r]
        print("\n(b) in pairs, the reference then Kaona, back to back: replies/s "
              + ", ".join(f"{r:.0f} / {k:.0f} ({k / r:.2f}x)" for r, k in rates if r)
              + (f"; median ratio {statistics.median(ratios):.2f}x" if ratios else ""))
    errors = (logs / "kaona.log").read_text(errors="replace").count("Traceback") if (logs / "kaona.log").exists() else 0
    print(f"\ntracebacks in Kaona's log: {errors}")
    if errors:
        print((logs / "kaona.log").read_text(errors="replace")[-3000:])
    line.stop()
    tmp.cleanup()
    return 0


def run_b(start: Callable[[], tuple[Gunicorn, int]], line: LocalLineServer, seconds: float) -> Figures:
    """(b) on a bot ``start`` starts, stopped after."""
    bot, port = start()
    try:
        return scenario("b", bot, port, line, seconds)
    finally:
        bot.stop()


def _wait_tcp(port: int, bot: Gunicorn, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            if len(bot.workers()) >= 2:
                time.sleep(1.0)
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the reference bot did not start")


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: real webhooks beside slow clients, under the Procfile's ``web:`` command.

The web command is started exactly as the Procfile says (bound to loopback), on a fresh
SQLite file with the migrations applied, against the local LINE-compatible server in
this process. Then ``--slow`` connections each send ``Content-Length: 100000`` and one
byte a second (a connection the server closes is opened again at once, as an attacker
would), and meanwhile signed ``ช่วยเหลือ`` webhooks go out at ``--rate`` per second, each
on a new connection, as LINE's are. For the real webhooks it reports how many were
answered 200, p50 / p99 / max of the answer time, and PASS when every one was answered
within LINE's 2 s.

    .venv/bin/python -m bench.slow_clients --slow 16
    .venv/bin/python -m bench.slow_clients --slow 200 --seconds 60
"""

from __future__ import annotations

import argparse
import http.client
import os
import selectors
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import ms
from bot.localline import LocalLineServer, text_event, user_source
from bot.localline.webhook import sign, webhook_body

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
TOKEN = "local-token"
BUDGET = 2.0  # LINE's: a webhook not answered within 2 s counts as failed


def web_command(port: int, procfile: Path = ROOT / "Procfile") -> list[str]:
    """The Procfile's ``web:`` line, bound to loopback, run from this virtualenv."""
    line = next(x for x in procfile.read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(port)))
    words = [w.replace("0.0.0.0", "127.0.0.1") for w in words]
    local = Path(sys.executable).parent / words[0]
    if local.exists():
        words[0] = str(local)
    return words


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SlowClients:
    """``count`` connections trickling a 100,000-byte body, one byte a second each."""

    def __init__(self, port: int, count: int, interval: float = 1.0) -> None:
        self.port, self.count, self.interval = port, count, interval
        self.opened = 0
        self.closed_by_server = 0
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def _open(self, selector: selectors.BaseSelector) -> None:
        sock = socket.socket()
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(b"POST /callback HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                         b"X-Line-Signature: x\r\nContent-Length: 100000\r\n\r\n{")  # fmt: skip
        except OSError:
            self.refused += 1
            sock.close()
            return
        sock.setblocking(False)
        self.opened += 1
        selector.register(sock, selectors.EVENT_READ)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        for _ in range(self.count):
            self._open(selector)
        while not self._stop.is_set():
            tick = time.monotonic() + self.interval
            for key in list(selector.get_map().values()):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    sock.send(b" ")
                except OSError:
                    selector.unregister(sock)
                    sock.close()
                    self.closed_by_server += 1
            while (left := tick - time.monotonic()) > 0:
                for key, _ in selector.select(left):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    try:
                        data = sock.recv(4096)
                    except OSError:
                        data = b""
                    if not data:  # the server closed it (or answered and closed)
                        selector.unregister(sock)
                        sock.close()
                        self.closed_by_server += 1
            while len(selector.get_map()) < self.count and not self._stop.is_set():
                self._open(selector)
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]

    def start(self) -> SlowClients:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def post_webhook(port: int, line: LocalLineServer, n: int, secret: str = SECRET) -> tuple[float, int | None]:
    """One signed event on a new connection: (seconds until the answer, status or None)."""
    source = user_source(f"U{n % 500 + 1:032x}")
    body = webhook_body([text_event(source, "ช่วยเหลือ", reply_token=line.world.issue_reply_token(source))],
                        "Ubot" + "0" * 29)  # fmt: skip
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, secret)}
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/callback", body, headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return time.perf_counter() - started, response.status
    except (OSError, http.client.HTTPException):
        return time.perf_counter() - started, None


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web command exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                time.sleep(1.5)  # every worker process has imported the app
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the web command did not answer /healthz within {timeout:.0f} s")


def run(slow: int, rate: float, seconds: float, *, procfile: Path = ROOT / "Procfile", quiet: bool = False) -> dict[str, object]:
    """Start the web command, load it, stop it; the figures as a dict."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    tmp = tempfile.TemporaryDirectory()
    database_url = f"sqlite:///{tmp.name}/slow.sqlite3"
    engine = make_engine(database_url)
    upgrade(engine)  # the release phase, `kaona migrate`
    engine.dispose()
    line = LocalLineServer(access_token=TOKEN, quota=None, port=0).start()
    port = free_port()
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.url, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
           "KAONA_FILES_DIR": f"{tmp.name}/files", "PORT": str(port)}  # fmt: skip
    log = Path(tmp.name) / "web.log"
    command = web_command(port, procfile)
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_ready(process, port)
        clients = SlowClients(port, slow).start()
        time.sleep(min(3.0, seconds / 4))  # the slow connections are all in before the real traffic
        results: list[tuple[float, int | None]] = []
        count = int(rate * seconds)
        with ThreadPoolExecutor(max(4, int(rate * 12))) as pool:
            start = time.perf_counter()
            futures = []
            for n in range(count):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(post_webhook, port, line, n))
            results = [f.result() for f in futures]
        clients.stop()
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        line.stop()
    answered = sorted(t for t, status in results if status == 200)
    figures: dict[str, object] = {
        "command": " ".join(shlex.quote(w) for w in command),
        "slow": slow, "sent": len(results), "answered": len(answered),
        "within_2s": sum(1 for t in answered if t <= BUDGET),
        "p50_ms": ms(answered, 0.5) if answered else "-",
        "p99_ms": ms(answered, 0.99) if answered else "-",
        "max_ms": f"{answered[-1] * 1000:.1f}" if answered else "-",
        "statuses": sorted({str(s) for _, s in results}),
        "slow_opened": clients.opened, "slow_closed_by_server": clients.closed_by_server,
        "slow_refused": clients.refused,
    }  # fmt: skip
    figures["passed"] = figures["within_2s"] == len(results) and bool(results)
    tracebacks = log.read_text(errors="replace").count("Traceback")
    figures["tracebacks"] = tracebacks
    if not quiet and tracebacks:
        print(log.read_text(errors="replace")[-3000:])
    tmp.cleanup()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", type=int, default=16, help="slow connections held open (default 16)")
    parser.add_argument("--rate", type=float, default=4.0, help="real webhooks per second (default 4)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the real traffic lasts (default 30)")
    args = parser.parse_args()
    figures = run(args.slow, args.rate, args.seconds)
    print(f"bench.slow_clients: {figures['command']}")
    print(f"  {args.slow} slow clients (Content-Length: 100000, 1 byte/s), {args.rate:g} real webhooks/s for "
          f"{args.seconds:g} s, machine {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"  real webhooks: {figures['answered']} of {figures['sent']} answered 200, {figures['within_2s']} within 2 s;"
          f" p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms;"
          f" statuses {', '.join(figures['statuses'])}")  # type: ignore[arg-type]
    print(f"  slow connections opened {figures['slow_opened']}, closed by the server {figures['slow_closed_by_server']},"
          f" refused {figures['slow_refused']}; tracebacks in the web log: {figures['tracebacks']}")
    print(f"  {'PASS' if figures['passed'] else 'FAIL'}: every real webhook answered within {BUDGET:g} s")
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

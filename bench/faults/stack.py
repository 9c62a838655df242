"""The production processes and their private databases, for the fault scripts.

A private PostgreSQL (initdb into a temporary folder, its own port, trust auth) and
a private redis-server, so that stopping and restarting them touches nobody else's;
the Procfile's processes (``release``, ``web``, ``worker``, ``clock``) started as the
Procfile says, each in its own process group, logging to a file; a few lines of
round-robin TCP balancer for the scale-out run.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class StackError(RuntimeError):
    """A piece of the stack did not start (the message says which and where its log is)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise StackError(f"{what} not ready within {timeout:.0f} s")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise StackError(f"PostgreSQL's {name} is not installed (/usr/lib/postgresql/*/bin)")
    return on_path


def postgres_available() -> str | None:
    """Why a private PostgreSQL cannot be started here (None: it can)."""
    try:
        _pg_bin("initdb")
    except StackError as exc:
        return str(exc)
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    return None


class PrivatePostgres:
    """PostgreSQL in ``folder``, on 127.0.0.1:``port``, user postgres, trust auth, no fsync."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.data = folder / "pgdata"
        self.log = folder / "postgres.log"

    def _as_owner(self, *args: str) -> list[str]:
        # initdb and postgres refuse to run as root: run them as the postgres user.
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> PrivatePostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        subprocess.run(self._as_owner(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        return self.start()

    def start(self) -> PrivatePostgres:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")  # fmt: skip
        subprocess.run(self._as_owner(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options,
                                      "-l", str(self.log), "-w", "-t", "30", "start"),
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected; ``immediate``: as if the machine lost power."""
        subprocess.run(self._as_owner(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class PrivateRedis:
    """redis-server on 127.0.0.1:``port`` with nothing saved to disk."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=log, stderr=log)  # fmt: skip
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        _wait(up, 15, "redis-server")
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def procfile() -> dict[str, str]:
    """The Procfile's process types and their command lines."""
    out = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            out[name.strip()] = command.strip()
    return out


# The Procfile's programs, run by this interpreter as modules: a copied virtualenv's
# console scripts may carry another checkout's interpreter in their #! line.
MODULES = {"gunicorn": "gunicorn", "kaona": "bot.cli"}


def command_of(kind: str, env: Mapping[str, str]) -> list[str]:
    """The Procfile's command for ``kind``, with ``${PORT:-8000}`` filled in."""
    line = procfile()[kind].replace("${PORT:-8000}", env.get("PORT", "8000"))
    argv = shlex.split(line)
    if argv[0] in MODULES:
        return [sys.executable, "-m", MODULES[argv[0]], *argv[1:]]
    return argv


@dataclass
class Proc:
    """One Procfile process, started in its own session (so its group can be killed)."""

    kind: str
    env: dict[str, str]
    log_path: Path
    name: str = ""
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    kills: list[float] = field(default_factory=list)

    def start(self) -> Proc:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(command_of(self.kind, self.env), env=self.env, cwd=ROOT,
                                        stdout=log, stderr=log, start_new_session=True)  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """The pids of this process's children (gunicorn's workers)."""
        try:
            found = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in found]

    def kill9(self) -> None:
        """SIGKILL to the whole process group, as a machine losing the process would."""
        if self.process is None:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        self.kills.append(time.time())

    def restart(self) -> None:
        self.kill9()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill9()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    def up() -> bool:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:  # noqa: S310 - local
                return bool(answer.status == 200)
        except OSError:
            return False

    _wait(up, timeout, f"web at {url}")


def migrate(env: Mapping[str, str], log_path: Path) -> None:
    """The Procfile's ``release`` step (``kaona migrate``)."""
    with open(log_path, "ab") as log:
        subprocess.run(command_of("release", env), env=dict(env), cwd=ROOT, check=True, stdout=log, stderr=log)


class Balancer:
    """Round-robin TCP balancer on one local port in front of several backends."""

    def __init__(self, backends: list[int], port: int | None = None) -> None:
        self.backends = backends
        self.port = port or free_port()
        self._next = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port), backlog=256)
        self._closed = False
        self.connections = [0] * len(backends)

    def start(self) -> Balancer:
        threading.Thread(target=self._accept, name="balancer", daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        for _ in range(len(self.backends)):  # a backend that is down: try the next one
            with self._lock:
                index = self._next % len(self.backends)
                self._next += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.backends[index]), timeout=5)
                self.connections[index] += 1
                break
            except OSError:
                continue
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (source, sink):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        back.start()
        pipe(client, upstream)
        back.join(30)
        client.close()
        upstream.close()

    def stop(self) -> None:
        self._closed = True
        self._server.close()

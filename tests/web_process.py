"""The Procfile's ``web:`` command as a real process, for tests that need the real server
(slow clients, chunked bodies): started on loopback with the test's database and the
local LINE server, stopped at the end."""

from __future__ import annotations

import http.client
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.slow_clients import free_port, web_command

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def procfile_web(env: dict[str, str], log: Path, timeout: float = 60.0) -> Iterator[int]:
    """Run the web command; yields its port once /healthz answers (every worker up)."""
    port = free_port()
    full = {**os.environ, "LOG_LEVEL": "INFO", **env, "PORT": str(port)}
    with log.open("wb") as out:
        process = subprocess.Popen(web_command(port), cwd=ROOT, env=full, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the web command exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the web command did not come up:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        time.sleep(1.5)  # the second worker process has imported the app too
        yield port
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

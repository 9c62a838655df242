"""Defect 1 of issue 14: slow clients must not stall the webhook. The Procfile's own web
command is started (gunicorn as the Procfile says) and real signed webhooks are sent while
more slow connections than the web process has threads trickle their bodies."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from bench.slow_clients import SlowClients, post_webhook
from bot.localline import LocalLineServer
from tests.conftest import SECRET, TOKEN
from tests.web_process import procfile_web


def _env(database_url: str, line: LocalLineServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": line.url,
            "DATABASE_URL": database_url, "KAONA_FILES_DIR": str(tmp_path / "files"), **extra}  # fmt: skip


def test_real_webhooks_are_answered_while_slow_clients_hold_connections(
    database_url: str, line: LocalLineServer, tmp_path: Path
) -> None:
    with procfile_web(_env(database_url, line, tmp_path), tmp_path / "web.log") as port:
        clients = SlowClients(port, 24).start()  # more than 2 workers x 8 threads
        try:
            time.sleep(2.0)
            results = [post_webhook(port, line, n, SECRET) for n in range(6)]
        finally:
            clients.stop()
    assert [status for _, status in results] == [200] * 6
    assert max(took for took, _ in results) < 2.0, results


def _trickle(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /callback HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n{")
    return sock


def _closed(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(100) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_a_request_that_takes_too_long_to_arrive_is_closed(
    database_url: str, line: LocalLineServer, tmp_path: Path
) -> None:
    env = _env(database_url, line, tmp_path, KAONA_REQUEST_TIMEOUT="2")
    with procfile_web(env, tmp_path / "web.log") as port:
        sock = _trickle(port)
        started = time.monotonic()
        assert _closed(sock, within=6.0)
        assert 1.5 < time.monotonic() - started < 6.0
        sock.close()


def test_one_client_holds_a_bounded_number_of_connections_still_sending(
    database_url: str, line: LocalLineServer, tmp_path: Path
) -> None:
    env = _env(database_url, line, tmp_path, KAONA_CONNECTIONS_PER_CLIENT="4", KAONA_REQUEST_TIMEOUT="60")
    with procfile_web(env, tmp_path / "web.log") as port:
        socks = [_trickle(port) for _ in range(20)]
        time.sleep(2.0)
        closed = sum(_closed(s, within=0.2) for s in socks)
        for s in socks:
            s.close()
    # Two worker processes, at most 4 each still open; the oldest were closed first.
    assert closed >= 20 - 2 * 4

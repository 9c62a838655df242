"""The web process's server: what it adds to waitress (the limits are tested end to end
in test_slow_clients.py)."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.settings import Settings
from bot.webserver import _Channel, _QueueDepthLog, build_server


def test_a_busy_server_says_so_once_in_a_while_with_the_deepest_queue(caplog: pytest.LogCaptureFixture) -> None:
    """waitress warns on every request that finds every thread busy; under a burst that
    is every request. Said at most every 10 s, with the deepest queue since."""
    now = [100.0]
    depth_log = _QueueDepthLog(every=10.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        depth_log.warning("Task queue depth is %d", 3)
        for depth in (5, 40, 7):
            now[0] += 1
            depth_log.warning("Task queue depth is %d", depth)
        now[0] += 10
        depth_log.warning("Task queue depth is %d", 2)
    said = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert said == [
        "every request thread busy: 3 requests waiting (the most in 10 s)",
        "every request thread busy: 40 requests waiting (the most in 10 s)",
    ]


@contextmanager
def _served(threads: int = 4, *, turns: float | None = None) -> Iterator[tuple[Any, int]]:
    """A server of bot.webserver on a free loopback port, and the port. Its turns are
    taken by the test, or with ``turns`` by a thread (each turn waiting up to that long)."""
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body) + 3))])
        return [b"ok:" + body]

    listener = socket.create_server(("127.0.0.1", 0))
    settings = Settings.from_env({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"})
    server = build_server(app, [listener], threads=threads, settings=settings)
    stop = threading.Event()

    def loop(timeout: float) -> None:
        while not stop.is_set():
            server.poller.turn(timeout)

    looping = threading.Thread(target=loop, args=(turns,)) if turns is not None else None
    if looping is not None:
        looping.start()
    try:
        yield server, listener.getsockname()[1]
    finally:
        stop.set()
        if looping is not None:
            server.pull_trigger()
            looping.join(10)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        server.close()


def _turn_until(server: Any, done: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the server did not get there"
        server.poller.turn(0.01)


def test_a_turn_looks_only_at_the_connections_something_happened_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """40 kept-alive connections, idle: turns look at none of them. One sends a request:
    it is answered, and the turns look at that one (and the listening socket), not at 40."""
    with _served() as (server, port):
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        _turn_until(server, lambda: sum(isinstance(o, _Channel) for o in server._map.values()) == 40)
        server.poller.turn(0.01)
        looked: list[_Channel] = []
        real = _Channel.readable

        def readable(channel: _Channel) -> bool:
            looked.append(channel)
            return bool(real(channel))

        monkeypatch.setattr(_Channel, "readable", readable)
        for _ in range(5):
            server.poller.turn(0.01)
        assert looked == []

        clients[7].sendall(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        answer = b""
        clients[7].setblocking(False)

        def answered() -> bool:
            nonlocal answer
            try:
                answer += clients[7].recv(4096)
            except BlockingIOError:
                pass
            return answer.endswith(b"ok:hello")

        _turn_until(server, answered)
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert {id(c) for c in looked} == {id(c) for c in looked if c.addr[1] == clients[7].getsockname()[1]}
        assert 0 < len(looked) < 40
        for client in clients:
            client.close()


def test_many_kept_alive_connections_each_get_every_answer_in_order() -> None:
    """The poller against real HTTP clients: 30 connections, 5 requests each, at once,
    served by 4 threads; a connection closed in between is forgotten."""
    answers: dict[int, list[str]] = {}

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        got = []
        for k in range(5):
            conn.request("POST", "/", body=f"{n}-{k}".encode())
            got.append(conn.getresponse().read().decode())
            if n % 10 == 0 and k == 2:  # a new connection half way
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()
        answers[n] = got

    with _served(threads=4, turns=0.05) as (server, port):
        threads = [threading.Thread(target=client, args=(n,)) for n in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert answers == {n: [f"ok:{n}-{k}" for k in range(5)] for n in range(30)}
        deadline = time.monotonic() + 5
        while any(isinstance(o, _Channel) for o in server._map.values()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(isinstance(o, _Channel) for o in server._map.values())


def test_pipelined_requests_and_a_request_that_expects_100_continue_are_answered_at_once() -> None:
    """Two requests sent in one go are answered in order; a client that waits for
    "100 Continue" before its body gets it without waiting for a turn's timeout (the
    loop's turns here wait up to 5 s: a missed interest would show)."""
    with _served(threads=2, turns=5.0) as (_server, port):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as client:
            client.sendall(b"POST /1 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\na"
                           b"POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nb")  # fmt: skip
            started, answer = time.monotonic(), b""
            while answer.count(b"ok:") < 2:
                answer += client.recv(4096)
            assert answer.index(b"ok:a") < answer.index(b"ok:b")
            client.sendall(b"POST /3 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 100 Continue")
            client.sendall(b"c")
            answer = b""
            while not answer.endswith(b"ok:c"):
                answer += client.recv(4096)
            assert time.monotonic() - started < 3

"""The web process's HTTP server: gunicorn's processes, waitress's buffering in each.

gunicorn's own threaded worker hands a connection to a thread as soon as it is
accepted, and the thread then reads the body with no time limit: 16 clients that send
``Content-Length: 100000`` and a byte now and then hold all 16 threads and every real
webhook waits. Here each gunicorn worker process runs waitress instead, whose event
loop reads every request whole (headers and body, chunked or not, up to the body
limit) before a thread sees it, so a slow client costs a socket and a buffer, never a
thread. On top of waitress's own limits this adds the two the issue asks for:

- a request must arrive whole within ``KAONA_REQUEST_TIMEOUT`` seconds (default 10;
  LINE sends its webhooks in one go and gives up after 2 s) of the connection opening
  or the request's first byte, else the connection is closed;
- one client address holds at most ``KAONA_CONNECTIONS_PER_CLIENT`` connections (per
  worker process; default 32): past that its connections that have been sending a
  request for over half a second, oldest first, are closed (a burst of fresh
  connections from one address is given that long to send). Nothing that is complete
  is ever closed, so a real webhook that arrives through the same address (a
  platform's router) is served.

Its event loop (``_Poller``) is waitress's own turn (``wasyncore.poll2``) but for one
thing: a connection's interest (read, write) is looked at again only when something may
have changed it, not every connection on every turn. With 200 kept-alive connections
per process (bench.throughput (c)) each turn looked at all 200, and the loop, mostly
that, was 10% of a web process's time under (b) with 16.

The Procfile's ``web:`` line: ``gunicorn --worker-class bot.webserver.BufferedWorker
--workers 2 --threads 8 ... bot.wsgi:app`` (``--threads`` is waitress's thread count).
"""

from __future__ import annotations

import logging
import os
import select
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

if TYPE_CHECKING:
    from bot.settings import Settings


log = logging.getLogger(__name__)


class _Channel(HTTPChannel):
    """A connection; ``receiving_since`` is when the request it is still reading began
    (the connection's opening for its first), None while it has none in progress."""

    def __init__(self, server: _Server, sock: Any, addr: Any, adj: Any, map: Any = None) -> None:
        self.receiving_since: float | None = time.monotonic()
        self.serving = False  # a thread is in ``service`` (up to its last pull of the trigger)
        super().__init__(server, sock, addr, adj, map)
        server.admit(self)
        server.poller.changed = True

    def received(self, data: bytes) -> bool:
        idle = self.request is None and self.receiving_since is None
        result = bool(super().received(data))
        if self.request is None:
            self.receiving_since = None  # nothing partial left (the request went to a thread)
        elif idle:
            self.receiving_since = time.monotonic()
        if self.requests:  # a thread serves it now, and changes what it waits for
            self.server.poller.busy.add(self)
        return result

    def service(self) -> None:
        self.serving = True
        try:
            super().service()
        finally:
            self.serving = False

    def del_channel(self, map: Any = None) -> None:
        self.server.release(self)
        self.server.poller.changed = True
        super().del_channel(map)


class _Server(TcpWSGIServer):
    channel_class = _Channel
    request_timeout: float = 10.0
    per_client: int = 32
    grace: float = 0.5

    def __init__(self, *args: Any, poller: _Poller, **kwargs: Any) -> None:
        self._by_client: dict[str, set[_Channel]] = defaultdict(set)
        self.poller = poller
        super().__init__(*args, **kwargs)

    def admit(self, channel: _Channel) -> None:
        self._by_client[_client(channel)].add(channel)
        self._enforce_client_limit(_client(channel), time.monotonic())

    def _enforce_client_limit(self, client: str, now: float) -> None:
        """Close the client's connections past its limit that have spent over
        ``grace`` seconds still sending a request, oldest first. Connections just
        accepted (a burst from one address: a platform's router, a load balancer) are
        given ``grace`` to send their first bytes; ``maintenance`` looks again."""
        peers = self._by_client.get(client, ())
        if len(peers) <= self.per_client:
            return
        cutoff = now - self.grace
        sending = sorted((c for c in peers if c.receiving_since is not None and c.receiving_since < cutoff
                          and not c.requests and not c.will_close), key=lambda c: c.receiving_since or 0.0)  # fmt: skip
        victims = sending[: len(peers) - self.per_client]
        for victim in victims:
            victim.will_close = True
        if victims:
            log.warning("client %s holds %d connections (limit %d): closed %d still sending a request after %g s",
                        client, len(peers), self.per_client, len(victims), self.grace)  # fmt: skip

    def run(self) -> None:
        """Serve until interrupted, on the turns of ``_Poller`` (``kaona serve``)."""
        while True:
            self.poller.turn(1.0)

    def release(self, channel: _Channel) -> None:
        client = _client(channel)
        peers = self._by_client.get(client)
        if peers is not None:
            peers.discard(channel)
            if not peers:
                del self._by_client[client]

    def maintenance(self, now: float) -> None:
        self.poller.changed = True  # what it marks to close is looked at again
        super().maintenance(now)  # idle keep-alive connections past channel_timeout
        mono = time.monotonic()
        for client in [c for c, peers in self._by_client.items() if len(peers) > self.per_client]:
            self._enforce_client_limit(client, mono)
        cutoff = mono - self.request_timeout
        late = [c for c in self.active_channels.values()
                if c.receiving_since is not None and c.receiving_since < cutoff and not c.requests and not c.will_close]  # fmt: skip
        for channel in late:
            channel.will_close = True
        if late:
            log.info("closed %d connection(s) that took over %g s to send a request", len(late), self.request_timeout)


class _Poller:
    """The event loop's turn: ``wasyncore.poll2`` with the interests kept registered in
    one ``select.poll`` from turn to turn. A turn looks again at: the listening sockets
    and the trigger (their ``readable`` runs the server's maintenance); the connections
    that had an event last turn; those a thread is serving (``busy``, until the thread
    has left ``service``: what it changes of its connection, the response it queued, the
    requests it finished, comes before its last pull of the trigger); and every
    connection when one opened or closed, or maintenance ran (``changed``). A connection
    nothing happened to is not looked at: its interest cannot have changed."""

    def __init__(self, socket_map: dict[int, Any]) -> None:
        self.map = socket_map
        self.changed = True
        self.busy: set[Any] = set()
        self._poll = select.poll()
        self._registered: dict[int, tuple[Any, int]] = {}  # fd -> (its dispatcher, its flags)
        self._others: list[tuple[int, Any]] = []  # the listening sockets and the trigger
        self._touched: list[tuple[int, Any]] = []

    def turn(self, timeout: float) -> None:
        for fd, obj in self._others:
            if self.map.get(fd) is obj:
                self._look(fd, obj)
            else:
                self.changed = True
        if self.changed:
            self._look_at_all()
        else:
            for fd, obj in self._touched:
                if self.map.get(fd) is obj:
                    self._look(fd, obj)
            for channel in list(self.busy):
                if not channel.requests and not channel.serving:  # its thread is done with it
                    self.busy.discard(channel)
                fd = channel._fileno
                if self.map.get(fd) is channel:
                    self._look(fd, channel)
        self._touched = []
        try:
            ready = self._poll.poll(int(timeout * 1000))
        except InterruptedError:
            return
        for fd, flags in ready:
            obj = self.map.get(fd)
            if obj is None:
                continue
            wasyncore.readwrite(obj, flags)
            self._touched.append((fd, obj))

    def _look_at_all(self) -> None:
        self.changed = False
        for fd in [fd for fd, (obj, _) in self._registered.items() if self.map.get(fd) is not obj]:
            del self._registered[fd]
            self._poll.unregister(fd)
        self._others = [(fd, obj) for fd, obj in self.map.items() if not isinstance(obj, HTTPChannel)]
        for fd, obj in list(self.map.items()):
            self._look(fd, obj)
        self.busy = {channel for channel in self.busy
                     if (channel.requests or channel.serving) and self.map.get(channel._fileno) is channel}  # fmt: skip

    def _look(self, fd: int, obj: Any) -> None:
        flags = 0
        if obj.readable():
            flags |= select.POLLIN | select.POLLPRI
        if obj.writable() and not obj.accepting:
            flags |= select.POLLOUT
        known = self._registered.get(fd)
        if known is not None and known[0] is obj and known[1] == flags:
            return
        if flags:
            self._registered[fd] = (obj, flags)
            self._poll.register(fd, flags)
        elif known is not None:
            del self._registered[fd]
            self._poll.unregister(fd)


def _client(channel: _Channel) -> str:
    addr = channel.addr
    return str(addr[0]) if isinstance(addr, tuple) and addr else str(addr)


class _QueueDepthLog:
    """waitress warns "Task queue depth is N" for every request that finds every thread
    busy: under a burst, every request (logging it was 5% of a web process's time
    holding the GIL). This says it at most every ``every`` seconds, with the deepest
    queue seen since."""

    def __init__(self, every: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._clock = clock
        self._last = float("-inf")
        self._deepest = 0
        self._logger = logging.getLogger("waitress.queue")

    def warning(self, message: str, depth: int) -> None:
        self._deepest = max(self._deepest, depth)
        now = self._clock()
        if now - self._last < self._every:
            return
        self._last, deepest, self._deepest = now, self._deepest, 0
        self._logger.warning("every request thread busy: %d requests waiting (the most in %.0f s)", deepest,
                             self._every)  # fmt: skip


def build_server(app: Any, sockets: list[Any], *, threads: int, settings: Settings) -> _Server:
    """A waitress server on already-bound listening sockets, with Kaona's limits."""
    # What waitress's create_server does for pre-bound sockets, with our server class.
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    adj = Adjustments(
        sockets=sockets,
        threads=threads,
        connection_limit=settings.web_connection_limit,
        # Whole bodies over the limit are refused by waitress itself (413), chunked or not.
        max_request_body_size=settings.max_body_bytes,
        max_request_header_size=64 * 1024,
        channel_timeout=max(30, int(settings.request_timeout_seconds)),  # idle keep-alive
        cleanup_interval=1,  # how often request timeouts are checked
        ident="kaona",
        expose_tracebacks=False,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.queue_logger = _QueueDepthLog()
    dispatcher.set_thread_count(threads)
    servers = []
    socket_map: dict[int, Any] = {}
    poller = _Poller(socket_map)
    for sock in adj.sockets:
        server = _Server(app, socket_map, True, sock, dispatcher=dispatcher, adj=adj, bind_socket=False, poller=poller,
                         sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))  # fmt: skip
        server.request_timeout = settings.request_timeout_seconds
        server.per_client = settings.connections_per_client
        servers.append(server)
    return servers[-1]


class BufferedWorker(Worker):
    """A gunicorn worker process that serves with waitress (see the module's docstring)."""

    def run(self) -> None:
        from bot.settings import Settings

        settings = Settings.from_env()
        sockets = [listener.sock for listener in self.sockets]
        server = build_server(self.wsgi, sockets, threads=max(1, int(self.cfg.threads)), settings=settings)
        heartbeat = max(0.5, min(1.0, self.timeout / 4))
        beat = 0.0
        try:
            while self.alive:
                now = time.monotonic()
                if now - beat >= heartbeat:  # tell the arbiter we are alive, about once a second
                    beat = now
                    self.notify()
                    if self.ppid != os.getppid():
                        self.log.info("Parent changed, shutting down: %s", self)
                        break
                server.poller.turn(heartbeat)
        finally:
            server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
            _close_app(self.wsgi)


def _close_app(app: Any) -> None:
    """Stop the in-process worker and the connections (a graceful exit of the process)."""
    from flask import Flask

    from bot.app import shutdown

    if isinstance(app, Flask) and "kaona" in app.extensions:
        try:
            shutdown(app)
        except Exception:  # noqa: BLE001 - leaving anyway
            log.exception("shutting the app down")

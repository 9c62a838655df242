"""The worker: threads that process stored events and deliver the outbox.

Runs inside the web process by default (one process is a whole deployment), or
as its own process (`kaona worker`) when the Procfile scales out.
"""

from __future__ import annotations

import logging
import threading
import time

from bot.delivery import sweep
from bot.processing import Router, process_next
from bot.services import Services
from handlers.dispatch import route

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        services: Services,
        *,
        threads: int = 2,
        poll: float = 0.25,
        sweep_every: float = 5.0,
        router: Router = route,
    ) -> None:
        self._services = services
        self._router = router
        self._count = threads
        self._poll = poll
        self._sweep_every = sweep_every
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def start(self) -> Worker:
        for n in range(self._count):
            thread = threading.Thread(target=self._run, name=f"kaona-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def notify(self) -> None:
        """New events were stored: stop waiting and look."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.is_set():
                self._stop.wait(1.0)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = process_next(self._services, router=self._router)
                self._maybe_sweep()
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the thread
                log.exception("worker loop error; backing off")
                busy = False
                self._stop.wait(1.0)
            if not busy:
                self._wake.wait(self._poll)
                self._wake.clear()

    def _maybe_sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self._sweep_every or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._last_sweep = now
            sweep(self._services)
        finally:
            self._sweep_lock.release()

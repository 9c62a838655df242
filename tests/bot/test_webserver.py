"""The web process's server: what it adds to waitress (the limits are tested end to end
in test_slow_clients.py)."""

from __future__ import annotations

import logging

import pytest

from bot.webserver import _QueueDepthLog


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

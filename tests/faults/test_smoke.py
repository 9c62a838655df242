"""The fault scripts' smoke versions (bench/faults, ``python -m bench.faults X --smoke``):
the Procfile's processes on a private PostgreSQL and Redis that each test starts and
stops itself, the LINE stand-in, a short load; 0 lost, 0 duplicated, recovery without
restart. They run once, in the services run of `scripts/test` (KAONA_TEST_SERVICES=1),
since they need PostgreSQL's programs and redis-server installed (not the shared ones)."""

from __future__ import annotations

import os

import pytest

from bench.faults import scenarios
from bench.faults.stack import postgres_available
from tests.conftest import SERVICES


@pytest.fixture(autouse=True)
def _private_services() -> None:
    if not SERVICES:
        pytest.skip("fault smoke runs in the services run (KAONA_TEST_SERVICES=1)")
    problem = postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"fault smoke cannot start its private PostgreSQL/Redis: {problem}")
        pytest.skip(problem)


def _check(report: scenarios.Report) -> None:
    assert report.ok, report.text()


def test_kill9_of_web_and_clock_loses_and_duplicates_nothing() -> None:
    _check(scenarios.kill9(smoke=True))


def test_postgresql_restart_then_redis_restart_lose_nothing_and_need_no_restart() -> None:
    _check(scenarios.outages(smoke=True))


def test_line_failing_a_fifth_of_calls_leaves_nobody_unanswered_and_sends_each_push_once() -> None:
    for report in scenarios.line_faults(smoke=True):
        _check(report)


def test_two_webs_two_workers_two_clocks_process_each_event_once_in_order() -> None:
    _check(scenarios.scale_out(smoke=True))
